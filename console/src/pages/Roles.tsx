import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAction, useAsync, useTitle } from '../hooks';
import { navigate, useLocation } from '../router';
import { CreateButton, LinkRow, ListTable, RowLink, SearchToolbar, useSearch } from '../ui/ListPage';
import type { Role, RoleType } from '../types';
import { Icon } from '../ui/icons';
import { Badge, Button, Card, cx, Dialog, EmptyState, ErrorBanner, FormButtons, PageHeader, Tabs, TextArea, TextField, toast } from '../ui/ui';
import { PermissionPicker } from './PermissionPicker';

export const roleTypeLabel: Record<RoleType, string> = { User: 'User', MachineToMachine: 'Machine-to-machine' };

export function RoleIcon({ type }: { type: RoleType }) {
  return (
    <span class={`app-icon ${type === 'User' ? 'app-icon-user-role' : 'app-icon-MachineToMachine'}`} aria-hidden="true">
      <Icon name={type === 'User' ? 'users' : 'robot'} size={18} />
    </span>
  );
}

export function Roles() {
  useTitle('Roles');
  const { query } = useLocation();
  const type: RoleType = query.get('type') === 'MachineToMachine' ? 'MachineToMachine' : 'User';
  const list = useAsync(() => api.all<Role>('/api/roles', { type }), [type]);
  const { q, setQ, rows, count } = useSearch(list.data, (a, b) => a.name.localeCompare(b.name), (r) => [r.name, r.description]);
  const [creating, setCreating] = useState(false);
  return (
    <div class="page">
      <PageHeader title="Roles" subtitle="Roles group API permissions. User roles are given to users; machine-to-machine roles to machine-to-machine apps." actions={<CreateButton onClick={() => setCreating(true)}>Create role</CreateButton>} />
      <Tabs
        tabs={[
          { id: 'User', label: 'User roles' },
          { id: 'MachineToMachine', label: 'Machine-to-machine roles' },
        ]}
        active={type}
        onChange={(t) => navigate(t === 'User' ? '/roles' : `/roles?type=${t}`, { replace: true })}
        label="Role type"
      />
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} title="Roles could not be loaded" /> : null}
      <div role="tabpanel" id={`panel-${type}`} aria-labelledby={`tab-${type}`}>
        <Card padded={false}>
          <SearchToolbar value={q} onInput={setQ} placeholder="Search roles" label="Search roles" count={count} />
          <ListTable heads={[{ label: 'Role' }, { label: 'Description' }, { label: 'Type', hide: 'sm' }]} loading={list.loading && !list.data}>
            {rows.map((r) => (
              <LinkRow key={r.id} href={`/roles/${enc(r.id)}`}>
                <td>
                  <div class="cell-title">
                    <RoleIcon type={r.type} />
                    <RowLink href={`/roles/${enc(r.id)}`}>{r.name}</RowLink>
                    {r.isDefault && <Badge tone="success">Default</Badge>}
                  </div>
                </td>
                <td class="muted">{r.description || '—'}</td>
                <td class="hide-sm">
                  <Badge>{roleTypeLabel[r.type]}</Badge>
                </td>
              </LinkRow>
            ))}
          </ListTable>
          {list.data && rows.length === 0 && (
            <EmptyState icon="role" title={q ? 'No role matches' : `No ${type === 'User' ? 'user' : 'machine-to-machine'} roles yet`} action={!q && <CreateButton onClick={() => setCreating(true)}>Create role</CreateButton>}>
              {q ? 'Try another name.' : type === 'User' ? 'Create a role to give users permissions on your APIs.' : 'Create a role to give machine-to-machine apps permissions on your APIs.'}
            </EmptyState>
          )}
        </Card>
      </div>
      <CreateRoleDialog open={creating} initialType={type} onClose={() => setCreating(false)} />
    </div>
  );
}

function CreateRoleDialog({ open, initialType, onClose }: { open: boolean; initialType: RoleType; onClose: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [type, setType] = useState<RoleType>(initialType);
  const [scopeIds, setScopeIds] = useState<string[]>([]);
  const [nameError, setNameError] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const [step, setStep] = useState<1 | 2>(1);
  const reset = () => {
    setName('');
    setDescription('');
    setScopeIds([]);
    setNameError(null);
    setError(null);
    setStep(1);
  };
  const close = () => {
    if (busy) return;
    reset();
    onClose();
  };
  const submit = async () => {
    if (step === 1) {
      if (!name.trim()) return setNameError('Enter a role name.');
      if (name.length > 256) return setNameError('At most 256 characters.');
      setNameError(null);
      setStep(2);
      return;
    }
    await run(async () => {
      const role = await api.post<Role>('/api/roles', { name: name.trim(), description: description.trim(), type, scopeIds });
      toast(`Role “${role.name}” created`);
      reset();
      onClose();
      navigate(`/roles/${enc(role.id)}`);
    });
  };
  return (
    <Dialog
      open={open}
      title={step === 1 ? 'Create role' : `Permissions of “${name.trim()}”`}
      description={step === 1 ? undefined : 'Pick the API permissions the role grants. You can change them later.'}
      onClose={close}
      size={step === 1 ? 'md' : 'lg'}
      busy={busy}
      onSubmit={submit}
      footer={
        step === 1 ? (
          <>
            <Button onClick={close}>Cancel</Button>
            <Button type="submit" variant="primary">
              Next: permissions
            </Button>
          </>
        ) : (
          <FormButtons onCancel={() => setStep(1)} cancelLabel="Back" busy={busy} label="Create role" />
        )
      }
    >
      {step === 1 ? (
        <>
          <TextField label="Role name" required value={name} onInput={(v) => (setName(v), setNameError(null))} error={nameError} placeholder="e.g. Shopping service" autoFocus />
          <TextArea label="Description" value={description} onInput={setDescription} rows={2} placeholder="What holders of this role may do" />
          <fieldset class="field">
            <legend class="field-label">Role type</legend>
            <div class="radio-cards">
              {(['User', 'MachineToMachine'] as RoleType[]).map((t) => (
                <label key={t} class={cx('radio-card', type === t && 'is-selected')}>
                  <input type="radio" name="role-type" checked={type === t} onChange={() => setType(t)} />
                  <RoleIcon type={t} />
                  <span>
                    <strong>{t === 'User' ? 'User' : 'Machine-to-machine'}</strong>
                    <span class="pick-sub">{t === 'User' ? 'Given to users who sign in.' : 'Given to machine-to-machine apps.'}</span>
                  </span>
                </label>
              ))}
            </div>
            <p class="field-hint">The type cannot be changed later.</p>
          </fieldset>
        </>
      ) : (
        <PermissionPicker picked={scopeIds} onChange={setScopeIds} />
      )}
      {error ? <ErrorBanner error={error} title="The role could not be created" /> : null}
    </Dialog>
  );
}
