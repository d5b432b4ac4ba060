import { Fragment } from 'preact';
import { api, ApiError, enc } from '../api';
import { useAsync, useTitle } from '../hooks';
import { Link, navigate } from '../router';
import type { Application, LogEntry } from '../types';
import { Badge, Button, Card, EmptyState, ErrorBanner, formatDate, Loading, PageHeader } from '../ui/ui';
import { actorOf, describeKey, targetHref, targetOf } from './AuditLogs';

const hidden = new Set(['key', 'result', 'applicationId', 'userId', 'actor', 'target']);

export function AuditLogDetail({ id }: { id: string }) {
  const log = useAsync(() => api.get<LogEntry>(`/api/logs/${enc(id)}`), [id]);
  const appId = log.data?.payload.applicationId as string | undefined;
  const app = useAsync(async () => {
    if (!appId) return null;
    try {
      return await api.get<Application>(`/api/applications/${enc(appId)}`);
    } catch {
      return null;
    }
  }, [appId]);
  useTitle('Audit log entry');
  if (log.error) {
    if (log.error instanceof ApiError && log.error.status === 404)
      return (
        <EmptyState icon="logs" title="Log entry not found" action={<Button onClick={() => navigate('/audit-logs')}>Back to audit logs</Button>}>
          Old entries are removed after the retention period.
        </EmptyState>
      );
    return <ErrorBanner error={log.error} onRetry={log.reload} />;
  }
  if (!log.data) return <Loading />;
  const l = log.data;
  const userId = l.payload.userId as string | undefined;
  const details = Object.entries(l.payload).filter(([k]) => !hidden.has(k));
  return (
    <div class="page">
      <PageHeader
        back={{ href: '/audit-logs', label: 'Audit logs' }}
        title={describeKey(l.key, l.payload.result)}
        meta={
          <>
            {l.payload.result === 'Error' ? <Badge tone="danger">Error</Badge> : <Badge tone="success">Success</Badge>}
            <span class="meta">{formatDate(l.createdAt)}</span>
          </>
        }
      />
      <div class="two-col">
        <Card title="Event">
          <dl class="dl">
            <dt>Event key</dt>
            <dd>
              <code class="mono-sm breakable" data-testid="log-key">
                {breakAfterSlashes(l.key)}
              </code>
            </dd>
            <dt>Result</dt>
            <dd>{String(l.payload.result ?? 'Success')}</dd>
            <dt>Time</dt>
            <dd>{new Date(l.createdAt).toISOString()}</dd>
            <dt>By</dt>
            <dd data-testid="log-actor">{actorLink(actorOf(l.payload))}</dd>
            <dt>Target</dt>
            <dd data-testid="log-target">{targetLink(targetOf(l.payload))}</dd>
            <dt>Application</dt>
            <dd>
              {appId ? (
                <Link href={`/applications/${enc(appId)}`}>{app.data?.name ?? appId}</Link>
              ) : (
                <span class="muted">—</span>
              )}
            </dd>
            <dt>User</dt>
            <dd>{userId ? <Link href={`/users/${enc(userId)}`}>{userId}</Link> : <span class="muted">—</span>}</dd>
            <dt>Entry ID</dt>
            <dd>
              <code class="mono-sm">{l.id}</code>
            </dd>
          </dl>
        </Card>
        <Card title="Details">
          {details.length ? (
            <dl class="dl">
              {details.map(([k, v]) => (
                <Fragment key={k}>
                  <dt>{k}</dt>
                  <dd>{typeof v === 'object' ? <pre class="code-block">{JSON.stringify(v, null, 2)}</pre> : <code class="mono-sm">{String(v)}</code>}</dd>
                </Fragment>
              ))}
            </dl>
          ) : (
            <p class="muted">No further details.</p>
          )}
        </Card>
      </div>
      <Card title="Raw entry">
        <pre class="code-block" data-testid="log-raw">
          {JSON.stringify(l, null, 2)}
        </pre>
      </Card>
    </div>
  );
}

/** Lets a path wrap after its slashes rather than inside a segment. */
function breakAfterSlashes(s: string) {
  return s.split(/(?<=\/)/).map((part, i) => (
    <Fragment key={i}>
      {i > 0 && <wbr />}
      {part}
    </Fragment>
  ));
}

/** The actor of a change, linked to their page. */
function actorLink(a: ReturnType<typeof actorOf>) {
  if (!a) return <span class="muted">—</span>;
  const href = a.type === 'user' ? `/users/${enc(a.id)}` : `/applications/${enc(a.id)}`;
  return (
    <>
      <Link href={href}>{a.name || a.id}</Link> <span class="muted">({a.type === 'user' ? 'user' : 'application'})</span>
    </>
  );
}

/** The target of a change, linked to its page when it has one. */
function targetLink(t: ReturnType<typeof targetOf>) {
  if (!t) return <span class="muted">—</span>;
  const href = targetHref(t);
  return (
    <>
      {t.type}{' '}
      {t.id && (href ? <Link href={href}><code class="mono-sm">{t.id}</code></Link> : <code class="mono-sm">{t.id}</code>)}
    </>
  );
}
