import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAction, useAsync, useTitle } from '../hooks';
import { Link, navigate } from '../router';
import { CreateButton, LinkRow, ListTable, RowLink, SearchToolbar, useSearch } from '../ui/ListPage';
import type { Application, AppType, Role } from '../types';
import { appTypeLabel } from '../types';
import { Icon, type IconName } from '../ui/icons';
import { Badge, Card, cx, Dialog, EmptyState, ErrorBanner, formatDate, FormButtons, PageHeader, TextArea, TextField, toast } from '../ui/ui';
import { PickDialog, roleItem } from '../ui/PickDialog';
import { rememberSecret } from './secrets';

export const appTypeIcon: Record<AppType, IconName> = {
  Native: 'phone',
  SPA: 'browser',
  Traditional: 'server',
  MachineToMachine: 'robot',
};

const typeChoices: { type: AppType; title: string; text: string }[] = [
  { type: 'MachineToMachine', title: 'Machine-to-machine', text: 'A service, job or script that calls APIs as itself, with client credentials.' },
  { type: 'SPA', title: 'Single-page app', text: 'A browser app (React, Vue, …) that signs users in with PKCE.' },
  { type: 'Traditional', title: 'Traditional web', text: 'A server-rendered web app that keeps a secret and signs users in.' },
  { type: 'Native', title: 'Native app', text: 'A mobile or desktop app that signs users in with PKCE.' },
];

export function AppTypeIcon({ type }: { type: AppType }) {
  return (
    <span class={`app-icon app-icon-${type}`} aria-hidden="true">
      <Icon name={appTypeIcon[type]} size={18} />
    </span>
  );
}

export function Applications() {
  useTitle('Applications');
  const list = useAsync(() => api.all<Application>('/api/applications'), []);
  const { q, setQ, rows, count } = useSearch(list.data, (a, b) => b.createdAt - a.createdAt, (a) => [a.name, a.id, a.description]);
  const [creating, setCreating] = useState(false);

  return (
    <div class="page">
      <PageHeader title="Applications" subtitle="Services and apps that get tokens from Monban: machine-to-machine clients and apps that sign users in." actions={<CreateButton onClick={() => setCreating(true)}>Create application</CreateButton>} />
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} title="Applications could not be loaded" /> : null}
      <Card padded={false}>
        <SearchToolbar value={q} onInput={setQ} placeholder="Search by name or App ID" label="Search applications" count={count} />
        <ListTable
          heads={[
            { label: 'Name' },
            { label: 'App ID', hide: 'sm' },
            { label: 'Type', hide: 'sm' },
            { label: 'Created', hide: 'sm' },
          ]}
          loading={list.loading && !list.data}
        >
          {rows.map((a) => (
            <LinkRow key={a.id} href={`/applications/${enc(a.id)}`}>
              <td>
                <div class="cell-title">
                  <AppTypeIcon type={a.type} />
                  <div>
                    <RowLink href={`/applications/${enc(a.id)}`}>{a.name}</RowLink>
                    {a.description && <div class="cell-sub">{a.description}</div>}
                  </div>
                </div>
              </td>
              <td class="hide-sm">
                <code class="mono-sm id">{a.id}</code>
              </td>
              <td class="hide-sm">
                <Badge>{appTypeLabel[a.type]}</Badge>
              </td>
              <td class="hide-sm nowrap">{formatDate(a.createdAt)}</td>
            </LinkRow>
          ))}
        </ListTable>
        {list.data && rows.length === 0 && (
          <EmptyState icon="apps" title={q ? 'No application matches' : 'No applications yet'} action={!q && <CreateButton onClick={() => setCreating(true)}>Create application</CreateButton>}>
            {q ? 'Try another name or App ID.' : 'Create a machine-to-machine app to call your APIs or the Management API.'}
          </EmptyState>
        )}
      </Card>
      <CreateApplicationDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function CreateApplicationDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [type, setType] = useState<AppType>('MachineToMachine');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<{ name?: string }>({});
  const { busy, error, setError, run } = useAction();
  const [created, setCreated] = useState<Application | null>(null);

  const reset = () => {
    setType('MachineToMachine');
    setName('');
    setDescription('');
    setErrors({});
    setError(null);
    setCreated(null);
  };
  const close = () => {
    if (busy) return;
    reset();
    onClose();
  };

  const submit = async () => {
    const e: typeof errors = {};
    if (!name.trim()) e.name = 'Enter a name for the application.';
    else if (name.length > 256) e.name = 'The name can be at most 256 characters.';
    setErrors(e);
    if (Object.keys(e).length) return;
    await run(async () => {
      const app = await api.post<Application>('/api/applications', { name: name.trim(), type, description: description.trim() });
      if (app.secret) rememberSecret(app.id, app.secret);
      toast(`Application “${app.name}” created`);
      if (app.type === 'MachineToMachine') setCreated(app);
      else {
        reset();
        onClose();
        navigate(`/applications/${enc(app.id)}`);
      }
    });
  };

  if (created) {
    return (
      <AssignM2MRolesDialog
        open={open}
        app={created}
        intro="Give the new app the machine-to-machine roles it needs. To call the Management API, assign a role that holds its “all” permission, such as “Management API access”."
        skipLabel="Skip for now"
        onClose={() => {
          const id = created.id;
          reset();
          onClose();
          navigate(`/applications/${enc(id)}`);
        }}
      />
    );
  }

  return (
    <Dialog
      open={open}
      title="Create application"
      description="Pick what kind of application it is; the type cannot be changed later."
      onClose={close}
      size="lg"
      busy={busy}
      onSubmit={submit}
      footer={
        <FormButtons onCancel={close} busy={busy} label="Create application" />
      }
    >
      <fieldset class="type-picker">
        <legend class="field-label">Application type</legend>
        <div class="type-grid">
          {typeChoices.map((c) => (
            <label key={c.type} class={cx('type-card', type === c.type && 'is-selected')}>
              <input type="radio" name="app-type" value={c.type} checked={type === c.type} onChange={() => setType(c.type)} />
              <AppTypeIcon type={c.type} />
              <span class="type-card-text">
                <strong>{c.title}</strong>
                <span>{c.text}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <TextField label="Application name" required value={name} onInput={(v) => (setName(v), setErrors({}))} error={errors.name} placeholder="e.g. Shopping service" autoFocus />
      <TextArea label="Description" value={description} onInput={setDescription} rows={2} placeholder="What the application does (optional)" />
      {error ? <ErrorBanner error={error} title="The application could not be created" /> : null}
    </Dialog>
  );
}

/** Lists the machine-to-machine roles to give to an app. */
export function AssignM2MRolesDialog({ open, app, onClose, onAssigned, exclude = [], intro, skipLabel = 'Cancel' }: { open: boolean; app: Application; onClose: () => void; onAssigned?: () => void; exclude?: string[]; intro?: string; skipLabel?: string }) {
  const roles = useAsync(() => (open ? api.all<Role>('/api/roles', { type: 'MachineToMachine' }) : Promise.resolve([] as Role[])), [open]);
  const [q, setQ] = useState('');
  const available = (roles.data ?? []).filter((r) => !exclude.includes(r.id) && r.name.toLowerCase().includes(q.trim().toLowerCase()));
  return (
    <PickDialog
      open={open}
      title="Assign machine-to-machine roles"
      description={intro ?? `Roles give “${app.name}” the permissions of the API resources it calls.`}
      query={q}
      onQuery={setQ}
      searchLabel="Search roles"
      listLabel="Machine-to-machine roles"
      loadingText="Loading roles…"
      empty={(close) =>
        q ? (
          'No role matches.'
        ) : (
          <>
            There are no machine-to-machine roles to assign.{' '}
            <Link href="/roles?type=MachineToMachine" onClick={close}>
              Create one
            </Link>
          </>
        )
      }
      items={roles}
      rows={available}
      keyOf={(r) => r.id}
      render={roleItem}
      noun={['role', 'roles']}
      pickFirst="Select at least one role, or skip."
      cancelLabel={skipLabel}
      submitLabel={(n) => `Assign ${n ? `${n} ` : ''}role${n === 1 ? '' : 's'}`}
      assign={(picked) => api.post(`/api/applications/${enc(app.id)}/roles`, { roleIds: picked.map((r) => r.id) })}
      onClose={onClose}
      onDone={onAssigned}
    />
  );
}
