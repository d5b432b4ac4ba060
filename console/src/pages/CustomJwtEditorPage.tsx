import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, errorMessage } from '../api';
import { CodeEditor, type ServerDiagnostic } from '../editor/CodeEditor';
import { useAsync, useTitle } from '../hooks';
import type { JwtCustomizer, TestFailure, TestResult, TokenType } from '../types';
import { Icon } from '../ui/icons';
import { Badge, Banner, Button, Card, cx, ErrorBanner, IconButton, Loading, PageHeader, Switch, TabPanel, Tabs, toast } from '../ui/ui';
import { DeleteDialog } from '../ui/DeleteDialog';
import {
  apiProps,
  applicationProps,
  completionsFor,
  defaultScript,
  interactionProps,
  pretty,
  type Prop,
  sampleContext,
  sampleToken,
  tokenProps,
  tokenTypeInfo,
  userProps,
} from './jwtReference';

interface EnvRow {
  key: number;
  name: string;
  value: string;
  shown: boolean;
}

type Outcome =
  | { kind: 'ok'; result: TestResult }
  | { kind: 'denied'; message: string; logs: string[]; durationMs?: number }
  | { kind: 'error'; failure: TestFailure }
  | { kind: 'invalid'; message: string };

type SideTab = 'reference' | 'test' | 'env';

/** The server's message without the position it repeats (shown apart). */
function bareMessage(m: string): string {
  return m
    .replace(/^script:\s*/i, '')
    .replace(/^claims:\s*/i, '')
    .replace(/^(syntax error )?at line \d+, column \d+:\s*/i, (_, se) => (se ? 'syntax error: ' : ''));
}

let envKey = 0;
const toRows = (env: Record<string, string> | undefined): EnvRow[] => Object.entries(env ?? {}).map(([name, value]) => ({ key: ++envKey, name, value, shown: false }));

interface Draft {
  script: string;
  env: EnvRow[];
  token: string;
  context: string;
  block: boolean;
}

function snapshot(d: Draft): string {
  return JSON.stringify([d.script, d.env.map((r) => [r.name, r.value]), d.token, d.context, d.block]);
}

export function CustomJwtEditorPage({ tokenType }: { tokenType: TokenType }) {
  const info = tokenTypeInfo[tokenType];
  useTitle(`${info.title} · Custom JWT`);
  // Read from the list, which answers 200 with or without a script: asking
  // for the one script answers 404 when there is none, which the browser
  // logs as an error though nothing is wrong.
  const saved = useAsync(async () => {
    const key = tokenType === 'access-token' ? 'jwt.accessToken' : 'jwt.clientCredentials';
    const rows = await api.get<{ key: string; value: JwtCustomizer }[]>('/api/configs/jwt-customizer');
    return rows.find((r) => r.key === key)?.value ?? null;
  }, [tokenType]);
  if (saved.error) return <ErrorBanner error={saved.error} onRetry={saved.reload} title="The custom JWT setting could not be loaded" />;
  if (saved.data === undefined) return <Loading />;
  return <Editor tokenType={tokenType} saved={saved.data} onSaved={saved.set} />;
}

function Editor({ tokenType, saved, onSaved }: { tokenType: TokenType; saved: JwtCustomizer | null; onSaved: (c: JwtCustomizer) => void }) {
  const info = tokenTypeInfo[tokenType];
  const initial: Draft = useMemo(
    () => ({
      script: saved?.script ?? defaultScript,
      env: toRows(saved?.environmentVariables),
      token: pretty(saved?.tokenSample ?? sampleToken(tokenType)),
      context: pretty(saved?.contextSample ?? sampleContext(tokenType)),
      block: saved?.blockIssuanceOnError ?? false,
    }),
    [saved, tokenType],
  );
  const [script, setScript] = useState(initial.script);
  const [env, setEnv] = useState<EnvRow[]>(initial.env);
  const [token, setToken] = useState(initial.token);
  const [context, setContext] = useState(initial.context);
  const [block, setBlock] = useState(initial.block);
  const [tab, setTab] = useState<SideTab>('reference');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [running, setRunning] = useState(false);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [diagnostics, setDiagnostics] = useState<ServerDiagnostic[] | undefined>(undefined);
  const [envErrors, setEnvErrors] = useState<Record<number, string>>({});
  const [deleting, setDeleting] = useState(false);
  // Resets of the JSON editors: their value prop changes only then.
  const [tokenDoc, setTokenDoc] = useState({ text: initial.token, n: 0 });
  const [contextDoc, setContextDoc] = useState({ text: initial.context, n: 0 });
  const completions = useMemo(() => completionsFor(tokenType), [tokenType]);

  const draft: Draft = { script, env, token, context, block };
  const dirty = !saved || snapshot(draft) !== snapshot(initial);

  useEffect(() => {
    if (!dirty || !saved) return;
    const h = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', h);
    return () => window.removeEventListener('beforeunload', h);
  }, [dirty, saved]);

  /** Checks the draft; returns the request fields, or null with errors shown. */
  const collect = (): { env: Record<string, string>; token: Record<string, unknown>; context: Record<string, unknown> | null } | null => {
    const errs: Record<number, string> = {};
    const out: Record<string, string> = {};
    for (const r of env) {
      const n = r.name.trim();
      if (!n && !r.value) continue;
      if (!n) errs[r.key] = 'Name the variable.';
      else if (n in out) errs[r.key] = 'This name is used twice.';
      else if (r.value.length > 4096) errs[r.key] = 'At most 4,096 characters.';
      else out[n] = r.value;
    }
    setEnvErrors(errs);
    if (Object.keys(errs).length) {
      setTab('env');
      setOutcome({ kind: 'invalid', message: 'Fix the environment variables first.' });
      return null;
    }
    let tok: unknown;
    let ctx: unknown = null;
    try {
      tok = JSON.parse(token);
    } catch (e) {
      setTab('test');
      setOutcome({ kind: 'invalid', message: `The test token is not valid JSON: ${(e as Error).message}` });
      return null;
    }
    if (!tok || typeof tok !== 'object' || Array.isArray(tok)) {
      setTab('test');
      setOutcome({ kind: 'invalid', message: 'The test token must be a JSON object.' });
      return null;
    }
    if (context.trim()) {
      try {
        ctx = JSON.parse(context);
      } catch (e) {
        setTab('test');
        setOutcome({ kind: 'invalid', message: `The test context is not valid JSON: ${(e as Error).message}` });
        return null;
      }
      if (!ctx || typeof ctx !== 'object' || Array.isArray(ctx)) {
        setTab('test');
        setOutcome({ kind: 'invalid', message: 'The test context must be a JSON object.' });
        return null;
      }
    }
    return { env: out, token: tok as Record<string, unknown>, context: ctx as Record<string, unknown> | null };
  };

  const run = async () => {
    if (!script.trim()) {
      setOutcome({ kind: 'invalid', message: 'Write a script first.' });
      return;
    }
    const c = collect();
    if (!c) return;
    setRunning(true);
    setDiagnostics([]);
    try {
      const body: Record<string, unknown> = { tokenType, script, environmentVariables: c.env, token: c.token };
      if (c.context) body.context = c.context;
      const result = await api.post<TestResult>('/api/configs/jwt-customizer/test?details=true', body);
      setOutcome({ kind: 'ok', result });
    } catch (err) {
      if (err instanceof ApiError && err.status === 403 && err.code === 'jwt_customizer.general') {
        const b = err.body as unknown as TestFailure;
        setOutcome({ kind: 'denied', message: b.message, logs: b.logs ?? [], durationMs: b.durationMs });
      } else if (err instanceof ApiError && err.status === 422 && typeof err.body.kind === 'string') {
        const f = err.body as unknown as TestFailure;
        setOutcome({ kind: 'error', failure: f });
        if (f.line) setDiagnostics([{ line: f.line, column: f.column, message: bareMessage(f.message) }]);
      } else {
        setOutcome({ kind: 'invalid', message: errorMessage(err) });
      }
    } finally {
      setRunning(false);
    }
  };

  const save = async () => {
    setSaveError(null);
    if (!script.trim()) {
      setSaveError('The script must not be empty.');
      return;
    }
    const c = collect();
    if (!c) return;
    setSaving(true);
    setDiagnostics([]);
    try {
      const body: Record<string, unknown> = {
        script,
        environmentVariables: c.env,
        tokenSample: c.token,
        blockIssuanceOnError: block,
      };
      if (c.context) body.contextSample = c.context;
      const next = await api.put<JwtCustomizer>(`/api/configs/jwt-customizer/${tokenType}`, body);
      toast(saved ? 'Custom claims saved' : 'Custom claims created: new tokens carry them from now on');
      onSaved(next);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'jwt_customizer.syntax_error') {
        const line = Number(err.body.line) || 1;
        const column = Number(err.body.column) || 1;
        const msg = bareMessage(err.message);
        setDiagnostics([{ line, column, message: msg }]);
        setSaveError(`Line ${line}, column ${column}: ${msg}`);
      } else {
        setSaveError(errorMessage(err));
      }
    } finally {
      setSaving(false);
    }
  };

  return (
    <div class="page page-wide">
      <PageHeader
        back={{ href: '/custom-jwt', label: 'Custom JWT' }}
        title={info.title}
        meta={
          <>
            {saved ? dirty ? <Badge tone="warning">Unsaved changes</Badge> : <Badge tone="success">Active</Badge> : <Badge>Not saved yet</Badge>}
            <span class="meta">Runs at every access token issued by {info.issuedBy}.</span>
          </>
        }
        actions={
          <>
            <Button icon="play" onClick={run} loading={running}>
              Run test
            </Button>
            <Button variant="primary" onClick={save} loading={saving} disabled={!!saved && !dirty}>
              {saved ? 'Save changes' : 'Create'}
            </Button>
          </>
        }
      />
      {saveError && (
        <div class="banner banner-danger" role="alert">
          <Icon name="warning" size={18} />
          <div class="banner-text">
            <strong class="banner-title">The script was not saved</strong>
            <span class="banner-body" data-testid="save-error">
              {saveError}
            </span>
          </div>
        </div>
      )}
      <div class="jwt-layout">
        <div class="jwt-main">
          <Card
            title="Script"
            description={
              <>
                Define <code>getCustomJwtClaims</code>; it returns the claims to add. Registered claims (<code>iss</code>, <code>sub</code>, <code>aud</code>, <code>exp</code>,{' '}
                <code>scope</code>…) are never taken from it.
              </>
            }
            padded={false}
            class="editor-card"
          >
            <CodeEditor
              value={initial.script}
              onChange={(v) => {
                setScript(v);
                setSaveError(null);
              }}
              language="javascript"
              label="Custom JWT claims script"
              diagnostics={diagnostics}
              completions={completions}
              height={460}
              testId="script-editor"
            />
            <div class="editor-foot">
              <span class="muted small">
                <kbd>Ctrl</kbd> <kbd>Space</kbd> completes <code>token.</code>, <code>context.</code> and <code>api.</code> · <kbd>Esc</kbd> then <kbd>Tab</kbd> leaves the editor
              </span>
              <Button size="sm" icon="play" onClick={run} loading={running}>
                Run test
              </Button>
            </div>
          </Card>
          <TestResultCard outcome={outcome} running={running} />
          <Card title="When the script fails">
            <Switch
              checked={block}
              onChange={setBlock}
              label="Block token issuance on error"
              description="Off: a script that throws, times out or hits a limit is logged and the token is issued without custom claims. On: the token request fails. A denial (api.denyAccess) always refuses the token."
            />
          </Card>
          {saved && (
            <Card title="Delete custom claims" class="danger-card">
              <div class="danger-row">
                <p class="muted">Tokens are issued without custom claims again. The script, variables and samples are removed.</p>
                <Button variant="danger" icon="trash" onClick={() => setDeleting(true)}>
                  Delete
                </Button>
              </div>
            </Card>
          )}
        </div>
        <aside class="jwt-side" aria-label="Script input">
          <Card padded={false} class="side-card">
            <Tabs
              tabs={[
                { id: 'reference', label: 'Reference' },
                { id: 'test', label: 'Test data' },
                { id: 'env', label: 'Variables', count: env.filter((r) => r.name.trim()).length },
              ]}
              active={tab}
              onChange={setTab}
              label="Script input"
            />
            <div class={cx('side-panel', tab !== 'reference' && 'hidden')}>
              <TabPanel id="reference">
                <Reference tokenType={tokenType} />
              </TabPanel>
            </div>
            <div class={cx('side-panel', tab !== 'test' && 'hidden')}>
              <TabPanel id="test">
                <div class="side-section">
                  <div class="side-section-head">
                    <h3>Test token</h3>
                    <Button
                      size="sm"
                      variant="link"
                      icon="refresh"
                      onClick={() => {
                        const s = pretty(sampleToken(tokenType));
                        setToken(s);
                        setTokenDoc({ text: s, n: tokenDoc.n + 1 });
                      }}
                    >
                      Reset to sample
                    </Button>
                  </div>
                  <p class="muted small">The token payload passed as <code>token</code>.</p>
                  <CodeEditor value={tokenDoc.text} version={tokenDoc.n} onChange={setToken} language="json" label="Test token (JSON)" height={190} testId="token-editor" />
                </div>
                <div class="side-section">
                  <div class="side-section-head">
                    <h3>Test context</h3>
                    <Button
                      size="sm"
                      variant="link"
                      icon="refresh"
                      onClick={() => {
                        const s = pretty(sampleContext(tokenType));
                        setContext(s);
                        setContextDoc({ text: s, n: contextDoc.n + 1 });
                      }}
                    >
                      Reset to sample
                    </Button>
                  </div>
                  <p class="muted small">
                    Passed as <code>context</code>: {tokenType === 'access-token' ? 'the user, the application and the sign-in interaction.' : 'the application.'}
                  </p>
                  <CodeEditor value={contextDoc.text} version={contextDoc.n} onChange={setContext} language="json" label="Test context (JSON)" height={250} testId="context-editor" />
                </div>
                <p class="muted small pad-x">The samples are saved with the script, so the next test starts from them.</p>
              </TabPanel>
            </div>
            <div class={cx('side-panel', tab !== 'env' && 'hidden')}>
              <TabPanel id="env">
                <EnvEditor rows={env} onChange={setEnv} errors={envErrors} />
              </TabPanel>
            </div>
          </Card>
        </aside>
      </div>
      <DeleteDialog
        open={deleting}
        title="Delete custom claims"
        confirmLabel="Delete"
        onClose={() => setDeleting(false)}
        path={`/api/configs/jwt-customizer/${tokenType}`}
        done="Custom claims deleted"
        then="/custom-jwt"
      >
        Delete the custom claims of <strong>{info.title.toLowerCase()}s</strong>? New tokens will carry the standard claims only.
      </DeleteDialog>
    </div>
  );
}

function TestResultCard({ outcome, running }: { outcome: Outcome | null; running: boolean }) {
  if (!outcome && !running) {
    return (
      <Card title="Test result" class="result-card">
        <p class="muted">
          <Icon name="play" size={16} /> Run the script on the test token and context to see the claims it returns, what it logs, or why it fails. Nothing is saved.
        </p>
      </Card>
    );
  }
  if (running && !outcome) return <Card title="Test result">{<p class="muted">Running…</p>}</Card>;
  const o = outcome!;
  const duration = (ms?: number) => (ms !== undefined ? `${ms.toFixed(ms < 10 ? 2 : 0)} ms` : '');
  let head;
  let body;
  let logs: string[] = [];
  if (o.kind === 'ok') {
    logs = o.result.logs;
    head = (
      <div class="result-status status-ok">
        <Icon name="check" size={18} />
        <strong>Claims returned</strong>
        <span class="muted">in {duration(o.result.durationMs)}</span>
      </div>
    );
    body = (
      <>
        <pre class="code-block" data-testid="test-claims">
          {pretty(o.result.claims)}
        </pre>
        {o.result.droppedClaims.length > 0 && (
          <Banner tone="warning">
            Dropped, because Monban sets them itself: {o.result.droppedClaims.map((c) => <code key={c}>{c} </code>)}
          </Banner>
        )}
      </>
    );
  } else if (o.kind === 'denied') {
    logs = o.logs;
    head = (
      <div class="result-status status-denied">
        <Icon name="lock" size={18} />
        <strong>Access denied</strong>
        <span class="muted">{duration(o.durationMs)}</span>
      </div>
    );
    body = (
      <p data-testid="test-denied">
        The script called <code>api.denyAccess</code>: the token request would fail with <code>access_denied</code>
        {o.message ? (
          <>
            {' '}
            and the message “<strong>{o.message}</strong>”
          </>
        ) : null}
        .
      </p>
    );
  } else if (o.kind === 'error') {
    const f = o.failure;
    logs = f.logs ?? [];
    head = (
      <div class="result-status status-error">
        <Icon name="warning" size={18} />
        <strong>{kindLabel[f.kind] ?? 'Script failed'}</strong>
        <span class="muted">{duration(f.durationMs)}</span>
      </div>
    );
    body = (
      <pre class="code-block code-error" data-testid="test-error">
        {f.line ? `Line ${f.line}${f.column ? `, column ${f.column}` : ''}: ${bareMessage(f.message)}` : f.message}
      </pre>
    );
  } else {
    head = (
      <div class="result-status status-error">
        <Icon name="warning" size={18} />
        <strong>Cannot run the test</strong>
      </div>
    );
    body = <p data-testid="test-invalid">{o.message}</p>;
  }
  return (
    <Card title="Test result" class="result-card" actions={running ? <span class="spinner" aria-label="Running" /> : undefined}>
      <div aria-live="polite">
        {head}
        {body}
        {(o.kind === 'ok' || o.kind === 'denied' || o.kind === 'error') && (
          <div class="console-out">
            <h3>Console output</h3>
            {logs.length ? (
              <pre class="code-block code-console" data-testid="test-logs">
                {logs.join('\n')}
              </pre>
            ) : (
              <p class="muted small">Nothing was logged.</p>
            )}
          </div>
        )}
      </div>
    </Card>
  );
}

const kindLabel: Record<string, string> = {
  syntax_error: 'Syntax error',
  script_error: 'The script threw an error',
  timeout: 'The script timed out',
  limit_memory: 'Memory limit reached',
  limit_fetches: 'Too many fetch calls',
  limit_response: 'A fetch response was too large',
  limit_output: 'Too much output',
  limit_timers: 'Too many timers',
};

function EnvEditor({ rows, onChange, errors }: { rows: EnvRow[]; onChange: (r: EnvRow[]) => void; errors: Record<number, string> }) {
  const update = (key: number, patch: Partial<EnvRow>) => onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <div class="side-section">
      <p class="muted small">
        Secrets and settings the script reads as <code>environmentVariables.NAME</code>, so that they stay out of the code. Values are never written to logs.
      </p>
      {rows.length === 0 && <p class="muted pad-y">No variables yet.</p>}
      <div class="env-rows">
        {rows.map((r, i) => (
          <div class="env-row" key={r.key}>
            <div class="env-fields">
              <input
                class="input mono"
                value={r.name}
                placeholder="NAME"
                aria-label={`Variable ${i + 1} name`}
                aria-invalid={errors[r.key] ? true : undefined}
                onInput={(e) => update(r.key, { name: (e.currentTarget as HTMLInputElement).value })}
              />
              <input
                class="input mono"
                {...({ type: r.shown ? 'text' : 'password' } as { type: 'text' })}
                value={r.value}
                placeholder="value"
                autoComplete="off"
                aria-label={`Variable ${i + 1} value`}
                onInput={(e) => update(r.key, { value: (e.currentTarget as HTMLInputElement).value })}
              />
              <IconButton icon={r.shown ? 'eyeOff' : 'eye'} label={r.shown ? `Hide value of variable ${i + 1}` : `Show value of variable ${i + 1}`} onClick={() => update(r.key, { shown: !r.shown })} />
              <IconButton icon="trash" variant="danger" label={`Remove variable ${i + 1}`} onClick={() => onChange(rows.filter((x) => x.key !== r.key))} />
            </div>
            {errors[r.key] && (
              <p class="field-error" role="alert">
                {errors[r.key]}
              </p>
            )}
          </div>
        ))}
      </div>
      <Button size="sm" icon="plus" onClick={() => onChange([...rows, { key: ++envKey, name: '', value: '', shown: true }])}>
        Add variable
      </Button>
    </div>
  );
}

function PropTable({ props }: { props: Prop[] }) {
  return (
    <table class="ref-table">
      <tbody>
        {props.map((p) => (
          <tr key={p.name}>
            <td>
              <code>{p.name}</code>
            </td>
            <td>
              <span class="ref-type">{p.type}</span>
              <span class="ref-text">{p.text}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Reference({ tokenType }: { tokenType: TokenType }) {
  return (
    <div class="reference">
      <p class="muted small pad-x">
        <code>getCustomJwtClaims</code> gets one object: <code>{'{ token, context, environmentVariables, api }'}</code>.
      </p>
      <details open>
        <summary>
          <code>token</code> <span class="muted">the token payload</span>
        </summary>
        <PropTable props={tokenProps[tokenType]} />
      </details>
      <details open={tokenType === 'client-credentials'}>
        <summary>
          <code>context.application</code> <span class="muted">the app</span>
        </summary>
        <PropTable props={applicationProps} />
      </details>
      {tokenType === 'access-token' && (
        <>
          <details>
            <summary>
              <code>context.user</code> <span class="muted">the user</span>
            </summary>
            <PropTable props={userProps} />
          </details>
          <details>
            <summary>
              <code>context.interaction</code> <span class="muted">the sign-in</span>
            </summary>
            <PropTable props={interactionProps} />
          </details>
        </>
      )}
      <details>
        <summary>
          <code>environmentVariables</code> <span class="muted">your variables</span>
        </summary>
        <p class="ref-p">An object of the variables set in the Variables tab, name to string value.</p>
      </details>
      <details>
        <summary>
          <code>api</code> <span class="muted">access control</span>
        </summary>
        <PropTable props={apiProps} />
      </details>
      <details>
        <summary>Sandbox</summary>
        <ul class="ref-list">
          <li>
            Runs in QuickJS (ES2023) with <code>fetch</code>, <code>URL</code>, <code>TextEncoder</code>, <code>atob</code>/<code>btoa</code>, <code>crypto.randomUUID()</code>, timers and{' '}
            <code>console</code>; no <code>require</code>, <code>import</code> or <code>process</code>.
          </li>
          <li>At most 2 s per run (whatever it awaits), 32 MiB of memory, 5 fetch calls of 1 MiB each, 16 KiB of claims.</li>
          <li>
            <code>fetch</code> reaches public http(s) addresses only, unless the server allows more.
          </li>
        </ul>
      </details>
    </div>
  );
}
