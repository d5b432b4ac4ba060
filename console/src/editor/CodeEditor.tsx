import { useEffect, useRef, useState } from 'preact/hooks';
import type { EditorHandle, EditorOptions, ServerDiagnostic } from './editor';
import { cx } from '../ui/ui';

export type { ServerDiagnostic };

let loader: Promise<typeof import('./editor')> | null = null;
function load() {
  loader ??= import('./editor');
  return loader;
}

/**
 * A CodeMirror editor. value is the initial content and, when it changes
 * from outside (a reset), the new content; edits are reported by onChange.
 */
export function CodeEditor({
  value,
  version = 0,
  onChange,
  language,
  label,
  diagnostics,
  height = 320,
  readOnly,
  placeholder,
  completions,
  class: cls,
  testId,
}: {
  value: string;
  /** Bump to put value back into the editor even if value is unchanged. */
  version?: number;
  onChange?: (v: string) => void;
  language: 'javascript' | 'json';
  label: string;
  diagnostics?: ServerDiagnostic[];
  height?: number | string;
  readOnly?: boolean;
  placeholder?: string;
  completions?: EditorOptions['completions'];
  class?: string;
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const handle = useRef<EditorHandle | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const [failed, setFailed] = useState<string | null>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    let cancelled = false;
    load().then(
      (m) => {
        if (cancelled || !host.current) return;
        handle.current = m.createEditor({
          parent: host.current,
          doc: value,
          language,
          label,
          readOnly,
          placeholder,
          completions,
          onChange: (v) => onChangeRef.current?.(v),
        });
        setReady(true);
      },
      (err) => setFailed(String(err)),
    );
    return () => {
      cancelled = true;
      handle.current?.destroy();
      handle.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    handle.current?.setDoc(value);
  }, [value, version, ready]);

  useEffect(() => {
    if (diagnostics && handle.current) handle.current.setServerDiagnostics(diagnostics);
  }, [diagnostics, ready]);

  const h = typeof height === 'number' ? `h-${height}` : '';
  return (
    <div class={cx('code-editor', h, cls)} data-testid={testId}>
      {failed ? <p class="field-error pad">The editor could not be loaded: {failed}</p> : null}
      <div ref={host} class="code-editor-host" />
      {!ready && !failed && <div class="code-editor-loading">Loading editor…</div>}
    </div>
  );
}
