import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAction, useAsync, useTitle } from '../hooks';
import { navigate, useLocation } from '../router';
import { CreateButton, LinkRow, ListTable, RowLink, SearchToolbar, useSearch } from '../ui/ListPage';
import { Card, Checkbox, ConfirmDialog, Dialog, EmptyState, ErrorBanner, FormButtons, IconButton, PageHeader, Tabs, TextArea, TextField, toast } from '../ui/ui';

export interface Organization {
  id: string;
  name: string;
  description: string | null;
  createdAt: number;
}

export interface OrganizationRole {
  id: string;
  name: string;
  description: string | null;
  scopes?: { id: string; name: string }[];
}

export interface OrganizationScope {
  id: string;
  name: string;
  description: string | null;
}

type Tab = 'organizations' | 'template';

// Organizations: the list, and the roles and permissions template every
// organization shares (Logto's organization template).
export function Organizations() {
  useTitle('Organizations');
  const { query } = useLocation();
  const tab: Tab = query.get('tab') === 'template' ? 'template' : 'organizations';
  return (
    <div class="page">
      <PageHeader title="Organizations" subtitle="Customer companies: members, their organization roles, and the permissions those roles grant in organization tokens." />
      <Tabs
        tabs={[
          { id: 'organizations', label: 'Organizations' },
          { id: 'template', label: 'Organization template' },
        ]}
        active={tab}
        onChange={(t) => navigate(t === 'organizations' ? '/organizations' : '/organizations?tab=template', { replace: true })}
        label="Organizations"
      />
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'organizations' ? <OrganizationList /> : <OrganizationTemplate />}
      </div>
    </div>
  );
}

function OrganizationList() {
  const list = useAsync(() => api.all<Organization>('/api/organizations'), []);
  const { q, setQ, rows, count } = useSearch(list.data, (a, b) => a.name.localeCompare(b.name), (o) => [o.name, o.description ?? '']);
  const [creating, setCreating] = useState(false);
  return (
    <>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} title="Organizations could not be loaded" /> : null}
      <Card padded={false} actions={<CreateButton onClick={() => setCreating(true)}>Create organization</CreateButton>}>
        <SearchToolbar value={q} onInput={setQ} placeholder="Search organizations" label="Search organizations" count={count} />
        <ListTable heads={[{ label: 'Organization' }, { label: 'Description' }]} loading={list.loading && !list.data}>
          {rows.map((o) => (
            <LinkRow key={o.id} href={`/organizations/${enc(o.id)}`}>
              <td>
                <RowLink href={`/organizations/${enc(o.id)}`}>{o.name}</RowLink>
              </td>
              <td class="muted">{o.description || '—'}</td>
            </LinkRow>
          ))}
        </ListTable>
        {list.data && list.data.length === 0 && (
          <EmptyState icon="users" title="No organizations yet">
            Create one for each customer company that signs in to your applications.
          </EmptyState>
        )}
      </Card>
      <NameDialog
        open={creating}
        title="Create organization"
        label="Create organization"
        onClose={() => setCreating(false)}
        onSubmit={async (name, description) => {
          const o = await api.post<Organization>('/api/organizations', { name, description: description || null });
          toast('Organization created');
          navigate(`/organizations/${enc(o.id)}`);
        }}
      />
    </>
  );
}

/** A dialog asking for a name and a description. */
export function NameDialog({ open, title, label, onClose, onSubmit }: { open: boolean; title: string; label: string; onClose: () => void; onSubmit: (name: string, description: string) => Promise<void> }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [nameError, setNameError] = useState('');
  const { busy, error, setError, run } = useAction();
  const close = () => {
    if (busy) return;
    setName('');
    setDescription('');
    setNameError('');
    setError(null);
    onClose();
  };
  const submit = async () => {
    if (!name.trim()) {
      setNameError('Enter a name.');
      return;
    }
    await run(async () => {
      await onSubmit(name.trim(), description.trim());
      close();
    });
  };
  return (
    <Dialog open={open} title={title} onClose={close} busy={busy} onSubmit={submit} footer={<FormButtons onCancel={close} busy={busy} label={label} />}>
      <TextField label="Name" required value={name} onInput={(v) => (setName(v), setNameError(''))} error={nameError} autoFocus />
      <TextArea label="Description" value={description} onInput={setDescription} />
      {error ? <ErrorBanner error={error} title={`${title} failed`} /> : null}
    </Dialog>
  );
}

function OrganizationTemplate() {
  const roles = useAsync(() => api.all<OrganizationRole>('/api/organization-roles'), []);
  const scopes = useAsync(() => api.get<OrganizationScope[]>('/api/organization-scopes'), []);
  const [creatingRole, setCreatingRole] = useState(false);
  const [creatingScope, setCreatingScope] = useState(false);
  const [editing, setEditing] = useState<OrganizationRole | null>(null);
  const [deleting, setDeleting] = useState<{ kind: 'role' | 'permission'; id: string; name: string } | null>(null);
  return (
    <>
      {roles.error ? <ErrorBanner error={roles.error} onRetry={roles.reload} title="Organization roles could not be loaded" /> : null}
      {scopes.error ? <ErrorBanner error={scopes.error} onRetry={scopes.reload} title="Organization permissions could not be loaded" /> : null}
      <Card title="Organization roles" description="Given to members in each organization." actions={<CreateButton onClick={() => setCreatingRole(true)}>Create organization role</CreateButton>} padded={false}>
        <ListTable heads={[{ label: 'Role' }, { label: 'Permissions' }, { label: '' }]} loading={roles.loading && !roles.data}>
          {(roles.data ?? []).map((r) => (
            <tr key={r.id}>
              <td>
                <strong>{r.name}</strong>
                <div class="muted">{r.description || ''}</div>
              </td>
              <td>
                {(r.scopes ?? []).map((s) => (
                  <code key={s.id} class="tag">
                    {s.name}
                  </code>
                ))}
              </td>
              <td class="nowrap">
                <IconButton icon="edit" label={`Edit permissions of ${r.name}`} onClick={() => setEditing(r)} />
                <IconButton icon="trash" label={`Delete ${r.name}`} variant="danger" onClick={() => setDeleting({ kind: 'role', id: r.id, name: r.name })} />
              </td>
            </tr>
          ))}
        </ListTable>
      </Card>
      <Card title="Organization permissions" description="What organization roles grant; they appear in organization tokens' scope." actions={<CreateButton onClick={() => setCreatingScope(true)}>Create organization permission</CreateButton>} padded={false}>
        <ListTable heads={[{ label: 'Permission' }, { label: 'Description' }, { label: '' }]} loading={scopes.loading && !scopes.data}>
          {(scopes.data ?? []).map((s) => (
            <tr key={s.id}>
              <td>
                <code>{s.name}</code>
              </td>
              <td class="muted">{s.description || '—'}</td>
              <td class="nowrap">
                <IconButton icon="trash" label={`Delete ${s.name}`} variant="danger" onClick={() => setDeleting({ kind: 'permission', id: s.id, name: s.name })} />
              </td>
            </tr>
          ))}
        </ListTable>
      </Card>
      <NameDialog
        open={creatingRole}
        title="Create organization role"
        label="Create role"
        onClose={() => setCreatingRole(false)}
        onSubmit={async (name, description) => {
          await api.post('/api/organization-roles', { name, description: description || null });
          toast('Organization role created');
          roles.reload();
        }}
      />
      <NameDialog
        open={creatingScope}
        title="Create organization permission"
        label="Create permission"
        onClose={() => setCreatingScope(false)}
        onSubmit={async (name, description) => {
          await api.post('/api/organization-scopes', { name, description: description || null });
          toast('Organization permission created');
          scopes.reload();
        }}
      />
      <PickDialog
        open={editing !== null}
        title={`Permissions of ${editing?.name ?? ''}`}
        options={(scopes.data ?? []).map((s) => ({ id: s.id, label: s.name }))}
        chosen={(editing?.scopes ?? []).map((s) => s.id)}
        onClose={() => setEditing(null)}
        onSave={async (ids) => {
          if (!editing) return;
          await api.put(`/api/organization-roles/${enc(editing.id)}/scopes`, { organizationScopeIds: ids });
          toast('Permissions saved');
          roles.reload();
        }}
      />
      <ConfirmDialog
        open={deleting !== null}
        title={deleting?.kind === 'role' ? 'Delete organization role' : 'Delete organization permission'}
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(deleting.kind === 'role' ? `/api/organization-roles/${enc(deleting.id)}` : `/api/organization-scopes/${enc(deleting.id)}`);
          toast(deleting.kind === 'role' ? 'Organization role deleted' : 'Organization permission deleted');
          roles.reload();
          scopes.reload();
        }}
      >
        <strong>{deleting?.name}</strong> is removed from every organization.
      </ConfirmDialog>
    </>
  );
}

/** A dialog of checkboxes: which of options are chosen. */
export function PickDialog({ open, title, options, chosen, onClose, onSave }: { open: boolean; title: string; options: { id: string; label: string }[]; chosen: string[]; onClose: () => void; onSave: (ids: string[]) => Promise<void> }) {
  const [picked, setPicked] = useState<string[] | null>(null);
  const { busy, error, setError, run } = useAction();
  const now = picked ?? chosen;
  const close = () => {
    if (busy) return;
    setPicked(null);
    setError(null);
    onClose();
  };
  return (
    <Dialog open={open} title={title} onClose={close} busy={busy} onSubmit={() => run(async () => (await onSave(now), close()))} footer={<FormButtons onCancel={close} busy={busy} label="Save" />}>
      {options.length === 0 ? <p class="muted">Nothing to choose yet.</p> : null}
      {options.map((o) => (
        <Checkbox key={o.id} checked={now.includes(o.id)} onChange={(on) => setPicked(on ? [...now, o.id] : now.filter((x) => x !== o.id))}>
          {o.label}
        </Checkbox>
      ))}
      {error ? <ErrorBanner error={error} title="Could not save" /> : null}
    </Dialog>
  );
}
