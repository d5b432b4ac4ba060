// The code editor (CodeMirror 6), loaded on demand: JavaScript for custom
// JWT scripts, JSON for samples and custom data.
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { javascript, javascriptLanguage } from '@codemirror/lang-javascript';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { bracketMatching, foldGutter, foldKeymap, HighlightStyle, indentOnInput, syntaxHighlighting, syntaxTree } from '@codemirror/language';
import { type Diagnostic, forceLinting, linter, lintGutter, lintKeymap } from '@codemirror/lint';
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search';
import { EditorState, StateEffect, StateField, type Extension } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers, placeholder as placeholderExt } from '@codemirror/view';
import { tags as t } from '@lezer/highlight';

export interface ServerDiagnostic {
  line: number; // 1-based
  column?: number; // 1-based
  message: string;
  severity?: 'error' | 'warning';
}

export interface EditorOptions {
  parent: HTMLElement;
  doc: string;
  language: 'javascript' | 'json';
  label: string;
  onChange?: (doc: string) => void;
  readOnly?: boolean;
  placeholder?: string;
  completions?: Record<string, { label: string; detail?: string; info?: string }[]>;
}

export interface EditorHandle {
  getDoc(): string;
  setDoc(doc: string): void;
  setServerDiagnostics(d: ServerDiagnostic[]): void;
  focus(): void;
  destroy(): void;
}

const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';

// The page's Content-Security-Policy allows no inline style attribute, and
// CodeMirror sets a few with setAttribute('style', …) (the tab size, the
// position of completion info). The CSSOM is not subject to the policy, so
// such writes go through it instead: same result, policy left strict.
const setAttribute = Element.prototype.setAttribute;
Element.prototype.setAttribute = function (this: Element, name: string, value: string) {
  if ((this instanceof HTMLElement || this instanceof SVGElement) && name.toLowerCase() === 'style') {
    this.style.cssText = String(value);
    return;
  }
  setAttribute.call(this, name, value);
};

const highlight = HighlightStyle.define([
  { tag: t.keyword, color: '#8839ef' },
  { tag: [t.definitionKeyword, t.modifier, t.controlKeyword, t.operatorKeyword], color: '#8839ef' },
  { tag: [t.string, t.special(t.string)], color: '#2f7d32' },
  { tag: [t.number, t.bool, t.null], color: '#c2410c' },
  { tag: t.comment, color: '#7c8598', fontStyle: 'italic' },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], color: '#1d5fd1' },
  { tag: t.definition(t.variableName), color: '#0f5f73' },
  { tag: t.propertyName, color: '#0f5f73' },
  { tag: t.variableName, color: '#1f2a44' },
  { tag: [t.operator, t.punctuation], color: '#55607a' },
  { tag: t.regexp, color: '#b4235a' },
  { tag: t.invalid, color: '#d92d20' },
]);

const theme = EditorView.theme({
  '&': { fontSize: '13px', height: '100%', backgroundColor: '#fff' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.6' },
  '.cm-content': { padding: '10px 0' },
  '.cm-gutters': { backgroundColor: '#f7f8fb', color: '#9aa3b5', borderRight: '1px solid #e6e9f0' },
  '.cm-activeLineGutter': { backgroundColor: '#eef0fb', color: '#4c5fd5' },
  '.cm-activeLine': { backgroundColor: '#f6f7fe' },
  '&.cm-focused': { outline: 'none' },
  '.cm-selectionBackground, &.cm-focused .cm-selectionBackground, ::selection': { backgroundColor: '#dbe1ff !important' },
  '.cm-cursor': { borderLeftColor: '#1f2a44', borderLeftWidth: '2px' },
  '.cm-matchingBracket': { backgroundColor: '#dff3e4', outline: '1px solid #9bd3a9' },
  '.cm-nonmatchingBracket': { backgroundColor: '#fde2e0' },
  '.cm-tooltip': { border: '1px solid #e2e6ef', borderRadius: '8px', boxShadow: '0 8px 24px rgba(20,30,60,.12)', overflow: 'hidden' },
  '.cm-tooltip-autocomplete > ul': { fontFamily: 'var(--mono)', fontSize: '12.5px', minWidth: '220px' },
  '.cm-tooltip-autocomplete > ul > li': { padding: '3px 10px !important', lineHeight: '1.5' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected]': { backgroundColor: '#4b5bd6', color: '#fff' },
  '.cm-completionDetail': { marginLeft: '10px', fontStyle: 'normal', color: '#7a3fc6' },
  '[aria-selected] .cm-completionDetail': { color: '#e3e6ff' },
  '.cm-completionInfo': { padding: '8px 10px', fontFamily: 'var(--sans)', fontSize: '12.5px', maxWidth: '280px' },
  '.cm-diagnostic': { fontFamily: 'var(--sans)', fontSize: '13px', padding: '6px 10px' },
  // The default lint marks are data: images, which img-src 'self' blocks.
  '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy #d92d20', textUnderlineOffset: '3px' },
  '.cm-lintRange-warning': { backgroundImage: 'none', textDecoration: 'underline wavy #dc8a04', textUnderlineOffset: '3px' },
  '.cm-lintRange-info, .cm-lintRange-hint': { backgroundImage: 'none', textDecoration: 'underline dotted #7c8598', textUnderlineOffset: '3px' },
  '.cm-lint-marker': { content: 'normal', width: '8px', height: '8px', margin: '5px 3px', borderRadius: '50%', backgroundColor: '#7c8598' },
  '.cm-lint-marker-error': { content: 'normal', backgroundColor: '#d92d20' },
  '.cm-lint-marker-warning': { content: 'normal', backgroundColor: '#dc8a04' },
  '.cm-lint-marker-info': { content: 'normal', backgroundColor: '#1f6fb2' },
  '.cm-placeholder': { color: '#9aa3b5' },
});

const setServer = StateEffect.define<Diagnostic[]>();

/** Diagnostics the server reported; dropped at the next edit. */
const serverField = StateField.define<Diagnostic[]>({
  create: () => [],
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setServer)) return e.value;
    return tr.docChanged ? [] : value;
  },
});

/** Syntax errors the JavaScript parser finds, while typing. */
function syntaxErrors(view: EditorView): Diagnostic[] {
  const out: Diagnostic[] = [];
  syntaxTree(view.state).iterate({
    enter(node) {
      if (node.type.isError && out.length < 20) {
        const from = node.from;
        const to = Math.min(view.state.doc.length, Math.max(node.to, from + 1));
        const line = view.state.doc.lineAt(from);
        out.push({ from: Math.min(from, view.state.doc.length), to, severity: 'error', message: `Syntax error at line ${line.number}, column ${from - line.from + 1}` });
      }
    },
  });
  return out.slice(0, 1);
}

function completionSource(defs: NonNullable<EditorOptions['completions']>) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const m = ctx.matchBefore(/[\w$.]+\.[\w$]*$/);
    if (!m) return null;
    const dot = m.text.lastIndexOf('.');
    const path = m.text.slice(0, dot);
    const options = defs[path];
    if (!options) return null;
    return {
      from: m.from + dot + 1,
      options: options.map((o) => ({ label: o.label, detail: o.detail, info: o.info, type: 'property' })),
      validFor: /^[\w$]*$/,
    };
  };
}

export function createEditor(opts: EditorOptions): EditorHandle {
  const exts: Extension[] = [
    EditorView.cspNonce.of(nonce),
    lineNumbers(),
    highlightActiveLineGutter(),
    foldGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    syntaxHighlighting(highlight),
    lintGutter(),
    serverField,
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...foldKeymap, ...completionKeymap, ...lintKeymap, indentWithTab]),
    theme,
    EditorView.contentAttributes.of({ 'aria-label': opts.label }),
    EditorState.tabSize.of(2),
  ];
  if (opts.placeholder) exts.push(placeholderExt(opts.placeholder));
  if (opts.readOnly) exts.push(EditorState.readOnly.of(true), EditorView.editable.of(false));
  if (opts.language === 'javascript') {
    exts.push(javascript());
    exts.push(linter((view) => [...syntaxErrors(view), ...view.state.field(serverField)], { delay: 400 }));
    if (opts.completions) {
      exts.push(javascriptLanguage.data.of({ autocomplete: completionSource(opts.completions) }));
    }
    exts.push(autocompletion({ activateOnTyping: true, icons: false }));
  } else {
    exts.push(json(), EditorView.lineWrapping);
    const parse = jsonParseLinter();
    exts.push(linter((view) => (view.state.doc.length ? parse(view) : []), { delay: 300 }));
  }
  exts.push(
    EditorView.updateListener.of((u) => {
      if (u.docChanged) opts.onChange?.(u.state.doc.toString());
    }),
  );
  const view = new EditorView({ parent: opts.parent, state: EditorState.create({ doc: opts.doc, extensions: exts }) });
  return {
    getDoc: () => view.state.doc.toString(),
    setDoc(doc: string) {
      if (doc === view.state.doc.toString()) return;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: doc } });
    },
    setServerDiagnostics(list: ServerDiagnostic[]) {
      const doc = view.state.doc;
      const diags: Diagnostic[] = list.map((d) => {
        const line = doc.line(Math.min(Math.max(1, d.line), doc.lines));
        const col = Math.max(1, d.column ?? 1);
        const from = Math.min(line.from + col - 1, line.to);
        const to = from < line.to ? Math.min(line.to, from + 1) : from;
        return { from, to: Math.max(to, from), severity: d.severity ?? 'error', message: d.message, source: 'server' };
      });
      view.dispatch({ effects: setServer.of(diags) });
      forceLinting(view);
      if (diags[0]) view.dispatch({ selection: { anchor: diags[0].from }, scrollIntoView: true });
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
