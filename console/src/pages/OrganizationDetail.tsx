import { useEffect, useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAction, useAsync, useTitle } from '../hooks';
import { navigate } from '../router';
import type { User } from '../types';
import { ListTable } from '../ui/ListPage';
import { Button, Card, ConfirmDialog, Dialog, EmptyState, ErrorBanner, FormButtons, IconButton, Loading, PageHeader, SelectField, TextArea, TextField, toast } from '../ui/ui';
import { PickDialog, type Organization, type OrganizationRole } from './Organizations';

interface Member extends User {
  organizationRoles: { id: string; name: string }[];
}

export function OrganizationDetail({ id }: { id: string }) {
  const org = useAsync(() => api.get<Organization>(`/api/organizations/${enc(id)}`), [id]);
  const members = useAsync(() => api.all<Member>(`/api/organizations/${enc(id)}/users`), [id]);
  const roles = useAsync(() => api.all<OrganizationRole>('/api/organization-roles'), []);
  useTitle(org.data?.name ?? 'Organization');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [deleting, setDeleting] = useState(false);
  const save = useAction();
  useEffect(() => {
    if (org.data) {
      setName(org.data.name);
      setDescription(org.data.description ?? '');
    }
  }, [org.data]);
  if (org.error) return <ErrorBanner error={org.error} onRetry={org.reload} title="The organization could not be loaded" />;
  if (!org.data) return <Loading />;
  const o = org.data;
  const dirty = name.trim() !== o.name || description.trim() !== (o.description ?? '');
  const who = (m: User) => m.name || m.username || m.primaryEmail || m.id;
  return (
    <div class="page">
      <PageHeader title={o.name} subtitle={<code class="mono-sm">{o.id}</code>} actions={<Button variant="danger" onClick={() => setDeleting(true)}>Delete organization</Button>} />
      <Card
        title="Settings"
        footer={
          <Button
            variant="primary"
            disabled={!dirty || !name.trim()}
            loading={save.busy}
            onClick={() =>
              save.run(async () => {
                await api.patch(`/api/organizations/${enc(id)}`, { name: name.trim(), description: description.trim() || null });
                toast('Organization saved');
                org.reload();
              })
            }
          >
            Save organization
          </Button>
        }
      >
        <TextField label="Name" required value={name} onInput={setName} />
        <TextArea label="Description" value={description} onInput={setDescription} />
        {save.error ? <ErrorBanner error={save.error} title="The organization could not be saved" /> : null}
      </Card>
      <Card title="Members" description="Users of this organization and their organization roles." actions={<Button onClick={() => setAdding(true)}>Add member</Button>} padded={false}>
        {members.error ? <ErrorBanner error={members.error} onRetry={members.reload} title="Members could not be loaded" /> : null}
        <ListTable heads={[{ label: 'Member' }, { label: 'Organization roles' }, { label: '' }]} loading={members.loading && !members.data}>
          {(members.data ?? []).map((m) => (
            <tr key={m.id}>
              <td>
                <strong>{who(m)}</strong>
              </td>
              <td>
                {m.organizationRoles.map((r) => (
                  <code key={r.id} class="tag">
                    {r.name}
                  </code>
                ))}
              </td>
              <td class="nowrap">
                <IconButton icon="edit" label={`Edit roles of ${who(m)}`} onClick={() => setEditing(m)} />
                <IconButton icon="trash" label={`Remove ${who(m)}`} variant="danger" onClick={() => setRemoving(m)} />
              </td>
            </tr>
          ))}
        </ListTable>
        {members.data && members.data.length === 0 && <EmptyState icon="users" title="No members yet">Add users to this organization.</EmptyState>}
      </Card>
      <AddMemberDialog
        open={adding}
        onClose={() => setAdding(false)}
        exclude={(members.data ?? []).map((m) => m.id)}
        onAdd={async (userId) => {
          await api.post(`/api/organizations/${enc(id)}/users`, { userIds: [userId] });
          toast('Member added');
          members.reload();
        }}
      />
      <PickDialog
        open={editing !== null}
        title={`Organization roles of ${editing ? who(editing) : ''}`}
        options={(roles.data ?? []).map((r) => ({ id: r.id, label: r.name }))}
        chosen={(editing?.organizationRoles ?? []).map((r) => r.id)}
        onClose={() => setEditing(null)}
        onSave={async (ids) => {
          if (!editing) return;
          await api.put(`/api/organizations/${enc(id)}/users/${enc(editing.id)}/roles`, { organizationRoleIds: ids });
          toast('Roles saved');
          members.reload();
        }}
      />
      <ConfirmDialog
        open={removing !== null}
        title="Remove member"
        confirmLabel="Remove"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          await api.del(`/api/organizations/${enc(id)}/users/${enc(removing.id)}`);
          toast('Member removed');
          members.reload();
        }}
      >
        <strong>{removing ? who(removing) : ''}</strong> leaves the organization and its organization roles.
      </ConfirmDialog>
      <ConfirmDialog
        open={deleting}
        title="Delete organization"
        onClose={() => setDeleting(false)}
        onConfirm={async () => {
          await api.del(`/api/organizations/${enc(id)}`);
          toast('Organization deleted');
          navigate('/organizations');
        }}
      >
        Its members keep their accounts; their membership and organization roles go.
      </ConfirmDialog>
    </div>
  );
}

function AddMemberDialog({ open, onClose, exclude, onAdd }: { open: boolean; onClose: () => void; exclude: string[]; onAdd: (userId: string) => Promise<void> }) {
  const users = useAsync(() => (open ? api.all<User>('/api/users') : Promise.resolve([] as User[])), [open]);
  const [userId, setUserId] = useState('');
  const [pickError, setPickError] = useState('');
  const { busy, error, setError, run } = useAction();
  const close = () => {
    if (busy) return;
    setUserId('');
    setPickError('');
    setError(null);
    onClose();
  };
  const options = (users.data ?? []).filter((u) => !exclude.includes(u.id)).map((u) => ({ value: u.id, label: u.name || u.username || u.primaryEmail || u.id }));
  return (
    <Dialog
      open={open}
      title="Add member"
      onClose={close}
      busy={busy}
      onSubmit={() => {
        if (!userId) {
          setPickError('Choose a user.');
          return;
        }
        void run(async () => {
          await onAdd(userId);
          close();
        });
      }}
      footer={<FormButtons onCancel={close} busy={busy} label="Add member" />}
    >
      <SelectField label="User" required value={userId} onChange={(v) => (setUserId(v), setPickError(''))} error={pickError} options={[{ value: '', label: 'Choose a user…' }, ...options]} />
      {error ? <ErrorBanner error={error} title="The member could not be added" /> : null}
    </Dialog>
  );
}
