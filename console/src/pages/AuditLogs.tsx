import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAsync, useDebounced, useTitle } from '../hooks';
import { navigate, useLocation } from '../router';
import { LinkRow, ListTable, RowLink } from '../ui/ListPage';
import type { Application, LogEntry } from '../types';
import { Badge, Button, Card, EmptyState, ErrorBanner, formatDate, formatRelative, PageHeader, Pagination } from '../ui/ui';

export const knownLogKeys = [
  'ExchangeTokenBy.ClientCredentials',
  'ExchangeTokenBy.AuthorizationCode',
  'ExchangeTokenBy.RefreshToken',
  'ExchangeTokenBy.Password',
  'Interaction.SignIn.Submit',
  'Interaction.Register.Submit',
  'JwtCustomizer.ClientCredentials',
  'JwtCustomizer.AccessToken',
  'ManagementApi.POST /api/applications',
  'ManagementApi.PATCH /api/applications/{id}',
  'ManagementApi.DELETE /api/applications/{id}',
  'ManagementApi.POST /api/applications/{id}/secrets',
  'ManagementApi.DELETE /api/applications/{id}/secrets/{name}',
  'ManagementApi.POST /api/applications/{id}/roles',
  'ManagementApi.POST /api/resources',
  'ManagementApi.POST /api/resources/{id}/scopes',
  'ManagementApi.POST /api/roles',
  'ManagementApi.POST /api/users',
  'ManagementApi.PATCH /api/users/{id}/password',
  'ManagementApi.PATCH /api/users/{id}/is-suspended',
  'ManagementApi.PUT /api/configs/jwt-customizer/{tokenType}',
  'ManagementApi.POST /api/configs/oidc/private-keys/rotate',
];

const grantNames: Record<string, string> = {
  ClientCredentials: 'Token issued: client credentials',
  AuthorizationCode: 'Token issued: authorization code',
  RefreshToken: 'Token issued: refresh token',
  Password: 'Token issued: password',
  TokenExchange: 'Token issued: token exchange',
  Unknown: 'Token request',
};

const managementEvents: Record<string, string> = {
  'POST /api/applications': 'Application created',
  'PATCH /api/applications/{id}': 'Application updated',
  'DELETE /api/applications/{id}': 'Application deleted',
  'POST /api/applications/{id}/secrets': 'App secret created',
  'PATCH /api/applications/{id}/secrets/{name}': 'App secret renamed',
  'DELETE /api/applications/{id}/secrets/{name}': 'App secret deleted',
  'POST /api/applications/{id}/roles': 'Roles given to an app',
  'PUT /api/applications/{id}/roles': 'App roles replaced',
  'DELETE /api/applications/{id}/roles/{roleId}': 'Role taken from an app',
  'POST /api/resources': 'API resource created',
  'PATCH /api/resources/{id}': 'API resource updated',
  'DELETE /api/resources/{id}': 'API resource deleted',
  'PATCH /api/resources/{id}/is-default': 'Default API resource changed',
  'POST /api/resources/{id}/scopes': 'Permission created',
  'PATCH /api/resources/{id}/scopes/{scopeId}': 'Permission updated',
  'DELETE /api/resources/{id}/scopes/{scopeId}': 'Permission deleted',
  'POST /api/roles': 'Role created',
  'PATCH /api/roles/{id}': 'Role updated',
  'DELETE /api/roles/{id}': 'Role deleted',
  'POST /api/roles/{id}/scopes': 'Permissions given to a role',
  'DELETE /api/roles/{id}/scopes/{scopeId}': 'Permission taken from a role',
  'POST /api/roles/{id}/applications': 'Apps given a role',
  'DELETE /api/roles/{id}/applications/{applicationId}': 'Role taken from an app',
  'POST /api/roles/{id}/users': 'Users given a role',
  'DELETE /api/roles/{id}/users/{userId}': 'Role taken from a user',
  'POST /api/users': 'User created',
  'PATCH /api/users/{id}': 'User updated',
  'DELETE /api/users/{id}': 'User deleted',
  'PATCH /api/users/{id}/password': 'Password reset',
  'PATCH /api/users/{id}/is-suspended': 'User suspended or reactivated',
  'PATCH /api/users/{id}/custom-data': 'Custom data updated',
  'POST /api/users/{id}/roles': 'Roles given to a user',
  'PUT /api/users/{id}/roles': 'User roles replaced',
  'DELETE /api/users/{id}/roles/{roleId}': 'Role taken from a user',
  'POST /api/configs/oidc/private-keys/rotate': 'Signing key rotated',
  'PUT /api/configs/jwt-customizer/{tokenType}': 'Custom JWT saved',
  'PATCH /api/configs/jwt-customizer/{tokenType}': 'Custom JWT updated',
  'DELETE /api/configs/jwt-customizer/{tokenType}': 'Custom JWT deleted',
};

/** A sentence for a log key. */
export function describeKey(key: string, result?: unknown): string {
  if (key.startsWith('ExchangeTokenBy.')) {
    const g = key.slice('ExchangeTokenBy.'.length);
    const name = grantNames[g] ?? `Token request: ${g}`;
    return result === 'Error' ? name.replace('Token issued', 'Token refused') : name;
  }
  if (key === 'Interaction.SignIn.Submit') return result === 'Error' ? 'Sign-in refused' : 'User signed in';
  if (key === 'Interaction.Register.Submit') return result === 'Error' ? 'Sign-up refused' : 'User signed up';
  if (key.startsWith('JwtCustomizer.')) return `Custom JWT script ${result === 'Error' ? 'failed' : 'ran'} (${key.endsWith('AccessToken') ? 'user' : 'machine-to-machine'} token)`;
  if (key.startsWith('ManagementApi.')) {
    const route = key.slice('ManagementApi.'.length);
    return managementEvents[route] ?? route;
  }
  return key;
}

// Filter is one field of the log list's filter bar: a label over the
// control (children) whose id is id.
function Filter({ id, label, children }: { id: string; label: string; children: ComponentChildren }) {
  return (
    <div class="filter">
      <label for={id} class="filter-label">
        {label}
      </label>
      {children}
    </div>
  );
}

/** Who made a change (Management API entries), as the server recorded it. */
export interface LogActor {
  type: 'user' | 'application';
  id: string;
  name?: string;
}

/** What a change was made to. */
export interface LogTarget {
  type: string;
  id?: string;
}

export const actorOf = (p: Record<string, unknown>) => p.actor as LogActor | undefined;
export const targetOf = (p: Record<string, unknown>) => p.target as LogTarget | undefined;

/** The console page of a target, when it has one. */
export function targetHref(t: LogTarget | undefined): string | undefined {
  if (!t?.id) return undefined;
  const base: Record<string, string> = { application: '/applications', user: '/users', role: '/roles', resource: '/api-resources' };
  return base[t.type] ? `${base[t.type]}/${enc(t.id)}` : undefined;
}

/** Who acted: the actor of a change, else the application of a token request. */
export function ActorText({ actor, appId, appNames }: { actor?: LogActor; appId?: string; appNames: Map<string, string> }) {
  if (actor) {
    const kind = actor.type === 'user' ? 'User' : 'App';
    return (
      <span title={`${kind} ${actor.id}`}>
        {actor.name || <code class="mono-sm">{actor.id}</code>} <span class="muted">({kind.toLowerCase()})</span>
      </span>
    );
  }
  if (appId) return <>{appNames.get(appId) ?? <code class="mono-sm">{appId}</code>}</>;
  return <span class="muted">—</span>;
}

function ResultBadge({ result }: { result: unknown }) {
  return result === 'Error' ? <Badge tone="danger">Error</Badge> : <Badge tone="success">Success</Badge>;
}

/** The log list, optionally for one app or user, with an event filter. */
export function LogTable({ applicationId, userId, filters = false }: { applicationId?: string; userId?: string; filters?: boolean }) {
  const { query } = useLocation();
  const [key, setKey] = useState(filters ? query.get('logKey') ?? '' : '');
  const [app, setApp] = useState(applicationId ?? (filters ? query.get('applicationId') ?? '' : ''));
  const [user, setUser] = useState(userId ?? (filters ? query.get('userId') ?? '' : ''));
  const [page, setPage] = useState(filters ? Number(query.get('page')) || 1 : 1);
  const dKey = useDebounced(key.trim(), 300);
  const dUser = useDebounced(user.trim(), 300);
  const pageSize = 20;
  const logs = useAsync(() => api.page<LogEntry>('/api/logs', page, pageSize, { logKey: dKey, applicationId: app, userId: dUser }), [dKey, app, dUser, page]);
  const apps = useAsync(() => api.all<Application>('/api/applications'), []);
  const appNames = useMemo(() => new Map((apps.data ?? []).map((a) => [a.id, a.name])), [apps.data]);

  const syncUrl = (next: { logKey?: string; applicationId?: string; userId?: string; page?: number }) => {
    if (!filters) return;
    const q = new URLSearchParams();
    const v = { logKey: key, applicationId: app, userId: user, page, ...next };
    if (v.logKey) q.set('logKey', v.logKey);
    if (v.applicationId) q.set('applicationId', v.applicationId);
    if (v.userId) q.set('userId', v.userId);
    if (v.page && v.page > 1) q.set('page', String(v.page));
    const s = q.toString();
    navigate(`/audit-logs${s ? `?${s}` : ''}`, { replace: true });
  };
  // filterBy handles a filter field's input: it sets the filter (with set)
  // and goes back to the first page.
  const filterBy = (set: (v: string) => void, name: 'logKey' | 'applicationId' | 'userId') => (e: Event) => {
    const v = (e.currentTarget as HTMLInputElement | HTMLSelectElement).value;
    set(v);
    setPage(1);
    syncUrl({ [name]: v, page: 1 });
  };
  const anyFilter = !!(key || (!applicationId && app) || (!userId && user));

  return (
    <Card padded={false}>
      <div class="table-toolbar filters">
        <Filter id="log-key" label="Event">
          <input id="log-key" class="input mono" list="log-keys" placeholder="All events" value={key} onInput={filterBy(setKey, 'logKey')} />
          <datalist id="log-keys">
            {knownLogKeys.map((k) => (
              <option key={k} value={k} />
            ))}
          </datalist>
        </Filter>
        {!applicationId && (
          <Filter id="log-app" label="Application">
            <select id="log-app" class="input select" value={app} onChange={filterBy(setApp, 'applicationId')}>
              <option value="">All applications</option>
              {(apps.data ?? []).map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
              {app && !appNames.has(app) && <option value={app}>{app}</option>}
            </select>
          </Filter>
        )}
        {!userId && (
          <Filter id="log-user" label="User ID">
            <input id="log-user" class="input mono" placeholder="Any user" value={user} onInput={filterBy(setUser, 'userId')} />
          </Filter>
        )}
        <div class="filter filter-end">
          {anyFilter && (
            <Button
              size="sm"
              variant="link"
              onClick={() => {
                setKey('');
                if (!applicationId) setApp('');
                if (!userId) setUser('');
                setPage(1);
                syncUrl({ logKey: '', applicationId: '', userId: '', page: 1 });
              }}
            >
              Clear filters
            </Button>
          )}
          <Button size="sm" icon="refresh" onClick={logs.reload} aria-label="Refresh logs" />
        </div>
      </div>
      {logs.error ? <ErrorBanner error={logs.error} onRetry={logs.reload} title="Logs could not be loaded" /> : null}
      <ListTable
        heads={[{ label: 'Event' }, { label: 'Result' }, { label: 'By', hide: 'sm' } as const, { label: 'Target', hide: 'sm' } as const, { label: 'Time' }]}
        loading={logs.loading && !logs.data}
      >
        {(logs.data?.items ?? []).map((l) => {
          const appId = l.payload.applicationId as string | undefined;
          const target = targetOf(l.payload);
          return (
            <LinkRow key={l.id} href={`/audit-logs/${enc(l.id)}`}>
              <td>
                <RowLink href={`/audit-logs/${enc(l.id)}`}>{describeKey(l.key, l.payload.result)}</RowLink>
                <div class="cell-sub mono-sm">{l.key}</div>
              </td>
              <td>
                <ResultBadge result={l.payload.result} />
              </td>
              <td class="hide-sm" data-testid="log-by">
                <ActorText actor={actorOf(l.payload)} appId={appId} appNames={appNames} />
              </td>
              <td class="hide-sm">
                {target ? (
                  <span>
                    {target.type} {target.id && <code class="mono-sm id">{target.id}</code>}
                  </span>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td class="nowrap" title={formatDate(l.createdAt)}>
                {formatRelative(l.createdAt)}
              </td>
            </LinkRow>
          );
        })}
      </ListTable>
      {logs.data && logs.data.items.length === 0 && (
        <EmptyState icon="logs" title={anyFilter ? 'No log entry matches' : 'No log entries yet'}>
          {anyFilter ? 'Change or clear the filters.' : 'Token requests and Management API changes appear here.'}
        </EmptyState>
      )}
      {logs.data && (
        <Pagination
          page={page}
          pageSize={pageSize}
          total={logs.data.total}
          onPage={(p) => {
            setPage(p);
            syncUrl({ page: p });
          }}
        />
      )}
    </Card>
  );
}

export function AuditLogs() {
  useTitle('Audit logs');
  return (
    <div class="page">
      <PageHeader title="Audit logs" subtitle="Every token request and every change made through the Management API, newest first." />
      <LogTable filters />
    </div>
  );
}
