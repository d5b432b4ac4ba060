import { useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';
import { useAsync, useDebounced, useTitle } from '../hooks';
import { Link, navigate, useLocation } from '../router';
import type { Application, Resource, Role, Scope, User } from '../types';
import { userDisplayName } from '../types';
import { Badge, Button, Card, ConfirmDialog, Dialog, EmptyState, ErrorBanner, IconButton, Loading, TabPanel, Tabs, TextArea, TextField, toast } from '../ui/ui';
import { PickDialog } from '../ui/PickDialog';
import { AppTypeIcon } from './Applications';
import { PermissionPicker } from './PermissionPicker';
import { RoleIcon, roleTypeLabel } from './Roles';

type Tab = 'permissions' | 'members' | 'settings';

export function RoleDetail({ id }: { id: string }) {
  const role = useAsync(() => api.get<Role>(`/api/roles/${enc(id)}`), [id]);
  const { query } = useLocation();
  const [tab, setTab] = useState<Tab>((query.get('tab') as Tab) || 'permissions');
  const [deleting, setDeleting] = useState(false);
  useTitle(role.data?.name ?? 'Role');
  if (role.error) {
    if (role.error instanceof ApiError && role.error.status === 404)
      return (
        <EmptyState icon="role" title="Role not found" action={<Button onClick={() => navigate('/roles')}>Back to roles</Button>}>
          It may have been deleted.
        </EmptyState>
      );
    return <ErrorBanner error={role.error} onRetry={role.reload} />;
  }
  if (!role.data) return <Loading />;
  const r = role.data;
  const m2m = r.type === 'MachineToMachine';
  const changeTab = (t: Tab) => {
    setTab(t);
    navigate(`/roles/${enc(id)}${t === 'permissions' ? '' : `?tab=${t}`}`, { replace: true });
  };
  return (
    <div class="page">
      <header class="page-header">
        <Link class="back-link" href={m2m ? '/roles?type=MachineToMachine' : '/roles'}>
          ← Roles
        </Link>
        <div class="page-header-row">
          <div class="page-icon">
            <RoleIcon type={r.type} />
          </div>
          <div class="page-header-text">
            <h1>{r.name}</h1>
            <div class="page-subtitle meta-row">
              <Badge tone="primary">{roleTypeLabel[r.type]} role</Badge>
              {r.description && <span class="meta">{r.description}</span>}
            </div>
          </div>
          <div class="page-actions">
            <Button variant="danger-soft" icon="trash" onClick={() => setDeleting(true)}>
              Delete
            </Button>
          </div>
        </div>
      </header>
      <Tabs
        tabs={[
          { id: 'permissions', label: 'Permissions' },
          { id: 'members', label: m2m ? 'Machine-to-machine apps' : 'Users' },
          { id: 'settings', label: 'Settings' },
        ]}
        active={tab}
        onChange={changeTab}
        label="Role sections"
      />
      {tab === 'permissions' && (
        <TabPanel id="permissions">
          <RolePermissions role={r} />
        </TabPanel>
      )}
      {tab === 'members' && <TabPanel id="members">{m2m ? <RoleApps role={r} /> : <RoleUsers role={r} />}</TabPanel>}
      {tab === 'settings' && (
        <TabPanel id="settings">
          <RoleSettings role={r} onSaved={role.set} />
        </TabPanel>
      )}
      <ConfirmDialog
        open={deleting}
        title="Delete role"
        confirmLabel="Delete role"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await api.del(`/api/roles/${enc(r.id)}`);
          toast(`Role “${r.name}” deleted`);
          navigate(m2m ? '/roles?type=MachineToMachine' : '/roles');
        }}
      >
        Delete <strong>{r.name}</strong>? Everyone holding it loses its permissions from their next token on.
      </ConfirmDialog>
    </div>
  );
}

function RolePermissions({ role }: { role: Role }) {
  const data = useAsync(async () => {
    const [scopes, resources] = await Promise.all([api.all<Scope>(`/api/roles/${enc(role.id)}/scopes`), api.all<Resource>('/api/resources')]);
    return { scopes, resources: new Map(resources.map((r) => [r.id, r])) };
  }, [role.id]);
  const [adding, setAdding] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<Scope | null>(null);
  const closeAdd = () => {
    if (busy) return;
    setAdding(false);
    setPicked([]);
    setError(null);
  };
  const add = async () => {
    if (!picked.length) return setError(new Error('Select at least one permission.'));
    setBusy(true);
    setError(null);
    try {
      await api.post(`/api/roles/${enc(role.id)}/scopes`, { scopeIds: picked });
      toast(picked.length === 1 ? 'Permission assigned' : `${picked.length} permissions assigned`);
      setAdding(false);
      setPicked([]);
      data.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const scopes = (data.data?.scopes ?? []).slice().sort((a, b) => a.resourceId.localeCompare(b.resourceId) || a.name.localeCompare(b.name));
  return (
    <Card
      title="Permissions"
      description="Holders of the role get these permissions in tokens for the API they belong to."
      actions={
        <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>
          Assign permissions
        </Button>
      }
      padded={false}
    >
      {data.error ? <ErrorBanner error={data.error} onRetry={data.reload} /> : null}
      {data.loading && !data.data ? (
        <Loading />
      ) : scopes.length === 0 ? (
        <EmptyState icon="key" title="No permissions" action={<Button onClick={() => setAdding(true)}>Assign permissions</Button>}>
          The role grants nothing yet.
        </EmptyState>
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Permission</th>
                <th scope="col" class="hide-sm">
                  Description
                </th>
                <th scope="col">API resource</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {scopes.map((s) => {
                const res = data.data!.resources.get(s.resourceId);
                return (
                  <tr key={s.id}>
                    <td>
                      <code class="tag">{s.name}</code>
                    </td>
                    <td class="hide-sm muted">{s.description || '—'}</td>
                    <td>{res ? <Link href={`/api-resources/${enc(res.id)}`}>{res.name}</Link> : <span class="muted">{s.resourceId}</span>}</td>
                    <td class="cell-actions">
                      <IconButton icon="trash" variant="danger" label={`Remove permission ${s.name}`} onClick={() => setRemoving(s)} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Dialog
        open={adding}
        title="Assign permissions"
        description={`Pick the permissions “${role.name}” grants.`}
        onClose={closeAdd}
        size="lg"
        busy={busy}
        onSubmit={add}
        footer={
          <>
            <Button onClick={closeAdd} disabled={busy}>
              Cancel
            </Button>
            <Button type="submit" variant="primary" loading={busy} disabled={!picked.length}>
              Assign permissions
            </Button>
          </>
        }
      >
        <PermissionPicker picked={picked} onChange={setPicked} exclude={(data.data?.scopes ?? []).map((s) => s.id)} />
        {error ? <ErrorBanner error={error} title="The permissions could not be assigned" /> : null}
      </Dialog>
      <ConfirmDialog
        open={removing !== null}
        title="Remove permission"
        confirmLabel="Remove"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          await api.del(`/api/roles/${enc(role.id)}/scopes/${enc(removing!.id)}`);
          toast(`Permission “${removing!.name}” removed`);
          data.reload();
        }}
      >
        Remove <code>{removing?.name}</code> from <strong>{role.name}</strong>?
      </ConfirmDialog>
    </Card>
  );
}

function RoleApps({ role }: { role: Role }) {
  const apps = useAsync(() => api.all<Application>(`/api/roles/${enc(role.id)}/applications`), [role.id]);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Application | null>(null);
  return (
    <Card
      title="Machine-to-machine apps"
      description="Apps holding this role."
      actions={
        <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>
          Assign applications
        </Button>
      }
      padded={false}
    >
      {apps.error ? <ErrorBanner error={apps.error} onRetry={apps.reload} /> : null}
      {apps.loading && !apps.data ? (
        <Loading />
      ) : apps.data && apps.data.length === 0 ? (
        <EmptyState icon="robot" title="No apps hold this role" action={<Button onClick={() => setAdding(true)}>Assign applications</Button>} />
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Application</th>
                <th scope="col">App ID</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(apps.data ?? []).map((a) => (
                <tr key={a.id}>
                  <td>
                    <div class="cell-title">
                      <AppTypeIcon type={a.type} />
                      <Link href={`/applications/${enc(a.id)}`}>{a.name}</Link>
                    </div>
                  </td>
                  <td>
                    <code class="mono-sm">{a.id}</code>
                  </td>
                  <td class="cell-actions">
                    <IconButton icon="trash" variant="danger" label={`Remove ${a.name} from the role`} onClick={() => setRemoving(a)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AssignAppsDialog open={adding} role={role} exclude={(apps.data ?? []).map((a) => a.id)} onClose={() => setAdding(false)} onDone={apps.reload} />
      <ConfirmDialog
        open={removing !== null}
        title="Remove application"
        confirmLabel="Remove"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          await api.del(`/api/roles/${enc(role.id)}/applications/${enc(removing!.id)}`);
          toast(`“${removing!.name}” removed from the role`);
          apps.reload();
        }}
      >
        Remove <strong>{removing?.name}</strong> from <strong>{role.name}</strong>? Its next tokens will lack the role's permissions.
      </ConfirmDialog>
    </Card>
  );
}

function AssignAppsDialog({ open, role, exclude, onClose, onDone }: { open: boolean; role: Role; exclude: string[]; onClose: () => void; onDone: () => void }) {
  const all = useAsync(() => (open ? api.all<Application>('/api/applications') : Promise.resolve([] as Application[])), [open]);
  const [q, setQ] = useState('');
  const rows = (all.data ?? []).filter((a) => a.type === 'MachineToMachine' && !exclude.includes(a.id) && a.name.toLowerCase().includes(q.trim().toLowerCase()));
  return (
    <PickDialog
      open={open}
      title="Assign applications"
      description={`Machine-to-machine apps that get “${role.name}”.`}
      query={q}
      onQuery={setQ}
      searchLabel="Search applications"
      listLabel="Machine-to-machine applications"
      loadingText="Loading applications…"
      empty={() => 'No machine-to-machine application to assign.'}
      items={all}
      rows={rows}
      keyOf={(a) => a.id}
      render={(a) => (
        <>
          <span class="pick-title">{a.name}</span>
          <span class="pick-sub mono-sm">{a.id}</span>
        </>
      )}
      noun={['application', 'applications']}
      assign={(picked) => api.post(`/api/roles/${enc(role.id)}/applications`, { applicationIds: picked.map((a) => a.id) })}
      onClose={onClose}
      onDone={onDone}
    />
  );
}

function RoleUsers({ role }: { role: Role }) {
  const users = useAsync(() => api.all<User>(`/api/roles/${enc(role.id)}/users`), [role.id]);
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<User | null>(null);
  return (
    <Card
      title="Users"
      description="Users holding this role."
      actions={
        <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>
          Assign users
        </Button>
      }
      padded={false}
    >
      {users.error ? <ErrorBanner error={users.error} onRetry={users.reload} /> : null}
      {users.loading && !users.data ? (
        <Loading />
      ) : users.data && users.data.length === 0 ? (
        <EmptyState icon="users" title="No users hold this role" action={<Button onClick={() => setAdding(true)}>Assign users</Button>} />
      ) : (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col" class="hide-sm">
                  Email
                </th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(users.data ?? []).map((u) => (
                <tr key={u.id}>
                  <td>
                    <Link href={`/users/${enc(u.id)}`}>{userDisplayName(u)}</Link>
                  </td>
                  <td class="hide-sm muted">{u.primaryEmail || '—'}</td>
                  <td class="cell-actions">
                    <IconButton icon="trash" variant="danger" label={`Remove ${userDisplayName(u)} from the role`} onClick={() => setRemoving(u)} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <AssignUsersDialog open={adding} role={role} exclude={(users.data ?? []).map((u) => u.id)} onClose={() => setAdding(false)} onDone={users.reload} />
      <ConfirmDialog
        open={removing !== null}
        title="Remove user"
        confirmLabel="Remove"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          await api.del(`/api/roles/${enc(role.id)}/users/${enc(removing!.id)}`);
          toast('User removed from the role');
          users.reload();
        }}
      >
        Remove <strong>{removing ? userDisplayName(removing) : ''}</strong> from <strong>{role.name}</strong>?
      </ConfirmDialog>
    </Card>
  );
}

function AssignUsersDialog({ open, role, exclude, onClose, onDone }: { open: boolean; role: Role; exclude: string[]; onClose: () => void; onDone: () => void }) {
  const [q, setQ] = useState('');
  const search = useDebounced(q.trim(), 250);
  const found = useAsync(() => (open ? api.page<User>('/api/users', 1, 50, { search: search || undefined }) : Promise.resolve({ items: [] as User[], total: 0 })), [open, search]);
  const rows = (found.data?.items ?? []).filter((u) => !exclude.includes(u.id));
  return (
    <PickDialog
      open={open}
      title="Assign users"
      description={`Users who get “${role.name}”.`}
      query={q}
      onQuery={setQ}
      searchLabel="Search users"
      searchPlaceholder="Search by name, email or phone"
      listLabel="Users"
      loadingText="Searching…"
      empty={() => 'No user to assign.'}
      items={found}
      rows={rows}
      keyOf={(u) => u.id}
      render={(u) => (
        <>
          <span class="pick-title">{userDisplayName(u)}</span>
          <span class="pick-sub">{[u.username, u.primaryEmail].filter(Boolean).join(' · ') || u.id}</span>
        </>
      )}
      noun={['user', 'users']}
      submitLabel={(n) => `Assign ${n || ''}`}
      assign={(picked) => api.post(`/api/roles/${enc(role.id)}/users`, { userIds: picked.map((u) => u.id) })}
      onClose={onClose}
      onDone={onDone}
    />
  );
}

function RoleSettings({ role, onSaved }: { role: Role; onSaved: (r: Role) => void }) {
  const [name, setName] = useState(role.name);
  const [description, setDescription] = useState(role.description);
  const [nameError, setNameError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const save = async () => {
    if (!name.trim()) return setNameError('Enter a role name.');
    setNameError(null);
    setBusy(true);
    setError(null);
    try {
      onSaved(await api.patch<Role>(`/api/roles/${enc(role.id)}`, { name: name.trim(), description }));
      toast('Changes saved');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card
      title="General"
      footer={
        <Button variant="primary" onClick={save} loading={busy} disabled={name === role.name && description === role.description}>
          Save changes
        </Button>
      }
    >
      <form
        class="form-grid"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <TextField label="Role name" required value={name} onInput={setName} error={nameError} />
        <TextArea label="Description" value={description} onInput={setDescription} rows={2} />
      </form>
      {error ? <ErrorBanner error={error} title="The changes could not be saved" /> : null}
    </Card>
  );
}
