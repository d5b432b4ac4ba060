import { useLayoutEffect, useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';
import { useAction, useAsync, useTitle } from '../hooks';
import { navigate, useLocation } from '../router';
import type { Resource, Scope } from '../types';
import { DeleteDialog } from '../ui/DeleteDialog';
import { FormCard } from '../ui/FormCard';
import { Badge, Banner, Button, Card, ConfirmDialog, CopyField, Dialog, EmptyState, ErrorBanner, formatDate, FormButtons, IconButton, Loading, PageHeader, Switch, TabPanel, Tabs, TextField, toast } from '../ui/ui';
import { ListCard } from '../ui/ListCard';
import { ResourceIcon } from './Resources';

type Tab = 'settings' | 'permissions';

export function ResourceDetail({ id }: { id: string }) {
  const res = useAsync(() => api.get<Resource>(`/api/resources/${enc(id)}`), [id]);
  const { query } = useLocation();
  const [tab, setTab] = useState<Tab>(query.get('tab') === 'permissions' ? 'permissions' : 'settings');
  const [deleting, setDeleting] = useState(false);
  useTitle(res.data?.name ?? 'API resource');
  if (res.error) {
    if (res.error instanceof ApiError && res.error.status === 404)
      return (
        <EmptyState icon="resource" title="API resource not found" action={<Button onClick={() => navigate('/api-resources')}>Back to API resources</Button>}>
          It may have been deleted.
        </EmptyState>
      );
    return <ErrorBanner error={res.error} onRetry={res.reload} />;
  }
  if (!res.data) return <Loading />;
  const r = res.data;
  const changeTab = (t: Tab) => {
    setTab(t);
    navigate(`/api-resources/${enc(id)}${t === 'settings' ? '' : `?tab=${t}`}`, { replace: true });
  };
  return (
    <div class="page">
      <PageHeader
        back={{ href: '/api-resources', label: 'API resources' }}
        icon={<ResourceIcon builtIn={r.isBuiltIn} />}
        title={r.name}
        meta={
          <>
            {r.isBuiltIn && <Badge tone="info">Built-in</Badge>}
            {r.isDefault && <Badge tone="success">Default</Badge>}
            <span class="meta">
              API identifier <code class="mono-sm">{r.indicator}</code>
            </span>
          </>
        }
        actions={
          !r.isBuiltIn && (
            <Button variant="danger-soft" icon="trash" onClick={() => setDeleting(true)}>
              Delete
            </Button>
          )
        }
      />
      {r.isBuiltIn && (
        <Banner tone="info" icon="lock">
          This is Monban's own Management API. It is read-only: give its <code>all</code> permission to a role (such as “Management API access”) to let an app or
          a user manage Monban.
        </Banner>
      )}
      <Tabs
        tabs={[
          { id: 'settings', label: 'Settings' },
          { id: 'permissions', label: 'Permissions' },
        ]}
        active={tab}
        onChange={changeTab}
        label="API resource sections"
      />
      {tab === 'settings' ? (
        <TabPanel id="settings">
          <ResourceSettings resource={r} onSaved={res.set} />
        </TabPanel>
      ) : (
        <TabPanel id="permissions">
          <Permissions resource={r} />
        </TabPanel>
      )}
      <DeleteDialog
        open={deleting}
        title="Delete API resource"
        onClose={() => setDeleting(false)}
        path={`/api/resources/${enc(r.id)}`}
        done={`API resource “${r.name}” deleted`}
        then="/api-resources"
      >
        Delete <strong>{r.name}</strong> and all its permissions? Roles lose these permissions, and no new token will be issued for <code>{r.indicator}</code>.
      </DeleteDialog>
    </div>
  );
}

function ResourceSettings({ resource, onSaved }: { resource: Resource; onSaved: (r: Resource) => void }) {
  const [name, setName] = useState(resource.name);
  const [ttl, setTtl] = useState(String(resource.accessTokenTtl));
  const [errors, setErrors] = useState<{ name?: string; ttl?: string }>({});
  const { busy, error, run } = useAction();
  const [defBusy, setDefBusy] = useState(false);
  const [rbacBusy, setRbacBusy] = useState(false);
  const ro = resource.isBuiltIn;
  const dirty = name !== resource.name || ttl !== String(resource.accessTokenTtl);
  const save = async () => {
    const e: typeof errors = {};
    if (!name.trim()) e.name = 'Enter a name.';
    const t = Number(ttl);
    if (!Number.isInteger(t) || t < 1 || t > 2592000) e.ttl = 'A whole number of seconds from 1 to 2,592,000 (30 days).';
    setErrors(e);
    if (Object.keys(e).length) return;
    await run(async () => {
      onSaved(await api.patch<Resource>(`/api/resources/${enc(resource.id)}`, { name: name.trim(), accessTokenTtl: t }));
      toast('Changes saved');
    });
  };
  const setDefault = async (v: boolean) => {
    setDefBusy(true);
    try {
      onSaved(await api.patch<Resource>(`/api/resources/${enc(resource.id)}/is-default`, { isDefault: v }));
      toast(v ? `“${resource.name}” is now the default API resource` : 'No longer the default API resource');
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), 'danger');
    } finally {
      setDefBusy(false);
    }
  };
  const setRbac = async (change: { enableRbac?: boolean; permissionsClaim?: boolean }, done: string) => {
    setRbacBusy(true);
    try {
      onSaved(await api.patch<Resource>(`/api/resources/${enc(resource.id)}`, change));
      toast(done);
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), 'danger');
    } finally {
      setRbacBusy(false);
    }
  };
  return (
    <>
      <FormCard title="General" save={save} busy={busy} dirty={dirty} readOnly={ro} error={error}>
        <TextField label="API name" required value={name} onInput={setName} error={errors.name} readOnly={ro} />
        <div class="field">
          <span class="field-label">API identifier</span>
          <CopyField label="API identifier" value={resource.indicator} />
          <p class="field-hint">The identifier cannot be changed.</p>
        </div>
        <TextField
          label="Access token lifetime (seconds)"
          type="number"
          min={1}
          max={2592000}
          value={ttl}
          onInput={setTtl}
          error={errors.ttl}
          readOnly={ro}
          hint="How long tokens for this API stay valid; at most 30 days."
        />
      </FormCard>
      <Card title="Default API resource">
        <Switch
          checked={resource.isDefault}
          onChange={setDefault}
          disabled={defBusy}
          label="Use as the default API"
          description="A user token request that names no resource gets a token for the default API. Only one API can be the default."
        />
      </Card>
      <Card title="Role-based access control">
        <Switch
          checked={resource.enableRbac}
          onChange={(v) => setRbac({ enableRbac: v }, v ? 'RBAC enabled' : 'RBAC disabled')}
          disabled={rbacBusy || ro}
          label="Enable RBAC"
          description="On, a user's token gets only the permissions the user's roles grant. Off, it gets every requested permission of this API, as Auth0 does with RBAC off. Machine-to-machine tokens follow the app's roles either way."
        />
        <Switch
          checked={resource.permissionsClaim}
          onChange={(v) => setRbac({ permissionsClaim: v }, v ? 'Tokens carry the permissions claim' : 'Tokens no longer carry the permissions claim')}
          disabled={rbacBusy || ro}
          label="Add permissions in the access token"
          description={
            <>
              The token's permissions of this API also go into a <code>permissions</code> array, for services that read Auth0's claim.
            </>
          }
        />
      </Card>
    </>
  );
}

function Permissions({ resource }: { resource: Resource }) {
  const list = useAsync(() => api.all<Scope>(`/api/resources/${enc(resource.id)}/scopes`), [resource.id]);
  const [editing, setEditing] = useState<Scope | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Scope | null>(null);
  const ro = resource.isBuiltIn;
  return (
    <ListCard
      title="Permissions"
      description="Scopes that roles grant on this API; services check them in the token's scope claim."
      actions={
        !ro && (
          <Button variant="primary" icon="plus" onClick={() => setEditing('new')}>
            Create permission
          </Button>
        )
      }
      list={list}
      items={list.data ?? []}
      columns={[
        { header: 'Permission', cell: (s) => <code class="tag">{s.name}</code> },
        { header: 'Description', class: 'muted', cell: (s) => s.description || '—' },
        { header: 'Created', hideSm: true, class: 'nowrap', cell: (s) => formatDate(s.createdAt) },
      ]}
      empty={
        <EmptyState icon="key" title="No permissions yet" action={!ro && <Button onClick={() => setEditing('new')}>Create permission</Button>}>
          Add permissions such as <code>read:products</code> and <code>write:products</code>.
        </EmptyState>
      }
      rowActions={
        ro
          ? undefined
          : (s) => (
              <>
                <IconButton icon="edit" label={`Edit permission ${s.name}`} onClick={() => setEditing(s)} />
                <IconButton icon="trash" variant="danger" label={`Delete permission ${s.name}`} onClick={() => setDeleting(s)} />
              </>
            )
      }
    >
      <PermissionDialog resource={resource} scope={editing} onClose={() => setEditing(null)} onSaved={list.reload} />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete permission"
        confirmLabel="Delete permission"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          await api.del(`/api/resources/${enc(resource.id)}/scopes/${enc(deleting!.id)}`);
          toast(`Permission “${deleting!.name}” deleted`);
          list.reload();
        }}
      >
        Delete <code>{deleting?.name}</code>? Roles that hold it lose it, and new tokens no longer carry it.
      </ConfirmDialog>
    </ListCard>
  );
}

function PermissionDialog({ resource, scope, onClose, onSaved }: { resource: Resource; scope: Scope | 'new' | null; onClose: () => void; onSaved: () => void }) {
  const isNew = scope === 'new';
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  // A layout effect: the form is reset before the dialog can take input.
  useLayoutEffect(() => {
    if (scope && scope !== 'new') {
      setName(scope.name);
      setDescription(scope.description);
    } else {
      setName('');
      setDescription('');
    }
    setNameError(null);
    setError(null);
  }, [scope]);
  const submit = async () => {
    const n = name.trim();
    if (!n) return setNameError('Enter the permission, e.g. read:products.');
    if (/\s/.test(n)) return setNameError('A permission has no spaces: scopes travel space-separated.');
    setNameError(null);
    await run(async () => {
      if (isNew) await api.post(`/api/resources/${enc(resource.id)}/scopes`, { name: n, description: description.trim() });
      else await api.patch(`/api/resources/${enc(resource.id)}/scopes/${enc((scope as Scope).id)}`, { name: n, description: description.trim() });
      toast(isNew ? `Permission “${n}” created` : 'Permission saved');
      onSaved();
      onClose();
    });
  };
  return (
    <Dialog
      open={scope !== null}
      title={isNew ? 'Create permission' : 'Edit permission'}
      onClose={onClose}
      busy={busy}
      onSubmit={submit}
      footer={
        <FormButtons onCancel={onClose} busy={busy} label={isNew ? 'Create permission' : 'Save'} />
      }
    >
      <TextField label="Permission name" required value={name} onInput={(v) => (setName(v), setNameError(null))} error={nameError} placeholder="read:products" mono autoFocus />
      <TextField label="Description" value={description} onInput={setDescription} placeholder="Read the product catalogue" />
      {error ? <ErrorBanner error={error} title="The permission could not be saved" /> : null}
    </Dialog>
  );
}
