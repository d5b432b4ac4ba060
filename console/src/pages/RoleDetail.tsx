import { useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';
import { useAction, useAsync, useDebounced, useTitle } from '../hooks';
import { Link, navigate, useLocation } from '../router';
import type { Application, Resource, Role, Scope, User } from '../types';
import { userDisplayName } from '../types';
import { DeleteDialog } from '../ui/DeleteDialog';
import { FormCard } from '../ui/FormCard';
import { Badge, Button, Dialog, EmptyState, ErrorBanner, FormButtons, Loading, PageHeader, TabPanel, Tabs, TextArea, TextField, toast } from '../ui/ui';
import { AssignedCard, type AssignDialogProps } from '../ui/ListCard';
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
      <PageHeader
        back={{ href: m2m ? '/roles?type=MachineToMachine' : '/roles', label: 'Roles' }}
        icon={<RoleIcon type={r.type} />}
        title={r.name}
        meta={
          <>
            <Badge tone="primary">{roleTypeLabel[r.type]} role</Badge>
            {r.description && <span class="meta">{r.description}</span>}
          </>
        }
        actions={
          <Button variant="danger-soft" icon="trash" onClick={() => setDeleting(true)}>
            Delete
          </Button>
        }
      />
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
      <DeleteDialog
        open={deleting}
        title="Delete role"
        onClose={() => setDeleting(false)}
        path={`/api/roles/${enc(r.id)}`}
        done={`Role “${r.name}” deleted`}
        then={m2m ? '/roles?type=MachineToMachine' : '/roles'}
      >
        Delete <strong>{r.name}</strong>? Everyone holding it loses its permissions from their next token on.
      </DeleteDialog>
    </div>
  );
}

function RolePermissions({ role }: { role: Role }) {
  const data = useAsync(async () => {
    const [scopes, resources] = await Promise.all([api.all<Scope>(`/api/roles/${enc(role.id)}/scopes`), api.all<Resource>('/api/resources')]);
    return { scopes, resources: new Map(resources.map((r) => [r.id, r])) };
  }, [role.id]);
  const scopes = (data.data?.scopes ?? []).slice().sort((a, b) => a.resourceId.localeCompare(b.resourceId) || a.name.localeCompare(b.name));
  return (
    <AssignedCard
      title="Permissions"
      description="Holders of the role get these permissions in tokens for the API they belong to."
      list={data}
      items={scopes}
      columns={[
        { header: 'Permission', cell: (s) => <code class="tag">{s.name}</code> },
        { header: 'Description', hideSm: true, class: 'muted', cell: (s) => s.description || '—' },
        {
          header: 'API resource',
          cell: (s) => {
            const res = data.data?.resources.get(s.resourceId);
            return res ? <Link href={`/api-resources/${enc(res.id)}`}>{res.name}</Link> : <span class="muted">{s.resourceId}</span>;
          },
        },
      ]}
      assignLabel="Assign permissions"
      empty={{ icon: 'key', title: 'No permissions', text: 'The role grants nothing yet.' }}
      dialog={(p) => <AssignPermissionsDialog {...p} role={role} />}
      removeLabel={(s) => `Remove permission ${s.name}`}
      remove={{
        title: 'Remove permission',
        confirmLabel: 'Remove',
        question: (s) => (
          <>
            Remove <code>{s.name}</code> from <strong>{role.name}</strong>?
          </>
        ),
        run: (s) => api.del(`/api/roles/${enc(role.id)}/scopes/${enc(s.id)}`),
        done: (s) => `Permission “${s.name}” removed`,
      }}
    />
  );
}

function AssignPermissionsDialog({ open, role, exclude, onClose, onDone }: AssignDialogProps & { role: Role }) {
  const [picked, setPicked] = useState<string[]>([]);
  const { busy, error, setError, run } = useAction();
  const close = () => {
    if (busy) return;
    onClose();
    setPicked([]);
    setError(null);
  };
  const add = async () => {
    if (!picked.length) return setError(new Error('Select at least one permission.'));
    await run(async () => {
      await api.post(`/api/roles/${enc(role.id)}/scopes`, { scopeIds: picked });
      toast(picked.length === 1 ? 'Permission assigned' : `${picked.length} permissions assigned`);
      onClose();
      setPicked([]);
      onDone();
    });
  };
  return (
    <Dialog
      open={open}
      title="Assign permissions"
      description={`Pick the permissions “${role.name}” grants.`}
      onClose={close}
      size="lg"
      busy={busy}
      onSubmit={add}
      footer={
        <FormButtons onCancel={close} busy={busy} disabled={!picked.length} label="Assign permissions" />
      }
    >
      <PermissionPicker picked={picked} onChange={setPicked} exclude={exclude} />
      {error ? <ErrorBanner error={error} title="The permissions could not be assigned" /> : null}
    </Dialog>
  );
}

function RoleApps({ role }: { role: Role }) {
  const apps = useAsync(() => api.all<Application>(`/api/roles/${enc(role.id)}/applications`), [role.id]);
  return (
    <AssignedCard
      title="Machine-to-machine apps"
      description="Apps holding this role."
      list={apps}
      items={apps.data ?? []}
      columns={[
        {
          header: 'Application',
          cell: (a) => (
            <div class="cell-title">
              <AppTypeIcon type={a.type} />
              <Link href={`/applications/${enc(a.id)}`}>{a.name}</Link>
            </div>
          ),
        },
        { header: 'App ID', cell: (a) => <code class="mono-sm id">{a.id}</code> },
      ]}
      assignLabel="Assign applications"
      empty={{ icon: 'robot', title: 'No apps hold this role' }}
      dialog={(p) => <AssignAppsDialog {...p} role={role} />}
      removeLabel={(a) => `Remove ${a.name} from the role`}
      remove={{
        title: 'Remove application',
        confirmLabel: 'Remove',
        question: (a) => (
          <>
            Remove <strong>{a.name}</strong> from <strong>{role.name}</strong>? Its next tokens will lack the role's permissions.
          </>
        ),
        run: (a) => api.del(`/api/roles/${enc(role.id)}/applications/${enc(a.id)}`),
        done: (a) => `“${a.name}” removed from the role`,
      }}
    />
  );
}

function AssignAppsDialog({ open, role, exclude, onClose, onDone }: AssignDialogProps & { role: Role }) {
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
  return (
    <AssignedCard
      title="Users"
      description="Users holding this role."
      list={users}
      items={users.data ?? []}
      columns={[
        { header: 'User', cell: (u) => <Link href={`/users/${enc(u.id)}`}>{userDisplayName(u)}</Link> },
        { header: 'Email', hideSm: true, class: 'muted', cell: (u) => u.primaryEmail || '—' },
      ]}
      assignLabel="Assign users"
      empty={{ icon: 'users', title: 'No users hold this role' }}
      dialog={(p) => <AssignUsersDialog {...p} role={role} />}
      removeLabel={(u) => `Remove ${userDisplayName(u)} from the role`}
      remove={{
        title: 'Remove user',
        confirmLabel: 'Remove',
        question: (u) => (
          <>
            Remove <strong>{userDisplayName(u)}</strong> from <strong>{role.name}</strong>?
          </>
        ),
        run: (u) => api.del(`/api/roles/${enc(role.id)}/users/${enc(u.id)}`),
        done: () => 'User removed from the role',
      }}
    />
  );
}

function AssignUsersDialog({ open, role, exclude, onClose, onDone }: AssignDialogProps & { role: Role }) {
  const [q, setQ] = useState('');
  const search = useDebounced(q.trim(), 250);
  const found = useAsync(() => (open ? api.page<User>('/api/users', 1, 50, { search: search ? `%${search}%` : undefined }) : Promise.resolve({ items: [] as User[], total: 0 })), [open, search]);
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
  const { busy, error, run } = useAction();
  const save = async () => {
    if (!name.trim()) return setNameError('Enter a role name.');
    setNameError(null);
    await run(async () => {
      onSaved(await api.patch<Role>(`/api/roles/${enc(role.id)}`, { name: name.trim(), description }));
      toast('Changes saved');
    });
  };
  return (
    <FormCard title="General" save={save} busy={busy} dirty={name !== role.name || description !== role.description} error={error}>
      <TextField label="Role name" required value={name} onInput={setName} error={nameError} />
      <TextArea label="Description" value={description} onInput={setDescription} rows={2} />
    </FormCard>
  );
}
