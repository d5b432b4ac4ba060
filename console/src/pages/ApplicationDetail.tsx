import { useLayoutEffect, useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api';
import { getConfig } from '../auth';
import { useAction, useAsync, useTitle } from '../hooks';
import { Link, navigate, useLocation } from '../router';
import type { AppSecret, Application, Role } from '../types';
import { appTypeLabel } from '../types';
import { DeleteDialog } from '../ui/DeleteDialog';
import { FormCard } from '../ui/FormCard';
import { Badge, Banner, Button, Card, ConfirmDialog, CopyField, Dialog, EmptyState, ErrorBanner, formatDate, FormButtons, IconButton, ListField, Switch, Loading, PageHeader, SelectField, TabPanel, Tabs, TextArea, TextField, toast } from '../ui/ui';
import { CopyValue } from '../ui/CopyValue';
import { AssignedCard, Table } from '../ui/ListCard';
import { AppTypeIcon, AssignM2MRolesDialog } from './Applications';
import { LogTable } from './AuditLogs';
import { takeSecret } from './secrets';

type Tab = 'settings' | 'roles' | 'logs';

export function ApplicationDetail({ id }: { id: string }) {
  const app = useAsync(() => api.get<Application>(`/api/applications/${enc(id)}`), [id]);
  const { query } = useLocation();
  const [tab, setTab] = useState<Tab>((query.get('tab') as Tab) || 'settings');
  const [deleting, setDeleting] = useState(false);
  const [freshSecret] = useState(() => takeSecret(id));
  useTitle(app.data?.name ?? 'Application');

  if (app.error) {
    if (app.error instanceof ApiError && app.error.status === 404) {
      return (
        <EmptyState icon="apps" title="Application not found" action={<Button onClick={() => navigate('/applications')}>Back to applications</Button>}>
          It may have been deleted.
        </EmptyState>
      );
    }
    return <ErrorBanner error={app.error} onRetry={app.reload} title="The application could not be loaded" />;
  }
  if (!app.data) return <Loading />;
  const a = app.data;
  const m2m = a.type === 'MachineToMachine';
  const tabs: { id: Tab; label: string }[] = [{ id: 'settings', label: 'Settings' }];
  if (m2m) tabs.push({ id: 'roles', label: 'Machine-to-machine roles' });
  tabs.push({ id: 'logs', label: 'Logs' });
  const changeTab = (t: Tab) => {
    setTab(t);
    navigate(`/applications/${enc(id)}${t === 'settings' ? '' : `?tab=${t}`}`, { replace: true });
  };

  return (
    <div class="page">
      <PageHeader
        back={{ href: '/applications', label: 'Applications' }}
        icon={<AppTypeIcon type={a.type} />}
        title={a.name}
        meta={
          <>
            <Badge tone="primary">{appTypeLabel[a.type]}</Badge>
            <span class="meta">
              App ID <code class="mono-sm id">{a.id}</code>
            </span>
          </>
        }
        actions={
          <Button variant="danger-soft" icon="trash" onClick={() => setDeleting(true)}>
            Delete
          </Button>
        }
      />
      {freshSecret && (
        <Banner tone="warning" icon="lock" title="Copy the App Secret now.">
          It is shown only this once; Monban keeps just a hash of it.
          <CopyField label="App Secret" value={freshSecret} masked />
        </Banner>
      )}
      {a.id === getConfig().clientId && (
        <Banner tone="info" icon="lock">
          This is the console's own application. Changing its URIs or deleting it signs everyone out of the console; Monban recreates it at its next start.
        </Banner>
      )}
      <Tabs tabs={tabs} active={tab} onChange={changeTab} label="Application sections" />
      {tab === 'settings' && (
        <TabPanel id="settings">
          <CredentialsCard app={a} />
          <GeneralCard app={a} onSaved={app.set} />
          {!m2m && <UrisCard app={a} onSaved={app.set} />}
          <SecurityCard app={a} onSaved={app.set} />
        </TabPanel>
      )}
      {tab === 'roles' && m2m && (
        <TabPanel id="roles">
          <AppRoles app={a} />
        </TabPanel>
      )}
      {tab === 'logs' && (
        <TabPanel id="logs">
          <LogTable applicationId={a.id} />
        </TabPanel>
      )}
      <DeleteDialog
        open={deleting}
        title="Delete application"
        onClose={() => setDeleting(false)}
        path={`/api/applications/${enc(a.id)}`}
        done={`Application “${a.name}” deleted`}
        then="/applications"
      >
        Delete <strong>{a.name}</strong>? Its secrets stop working at once and tokens it holds can no longer be renewed. This cannot be undone.
      </DeleteDialog>
    </div>
  );
}

function CredentialsCard({ app }: { app: Application }) {
  const cfg = getConfig();
  const confidential = app.type === 'MachineToMachine' || app.type === 'Traditional';
  return (
    <Card title="Credentials" description={confidential ? 'The App ID and an App Secret authenticate the app at the token endpoint (HTTP Basic or form fields).' : 'A public client: it proves itself with PKCE, never with a secret.'}>
      <div class="kv-grid">
        <CopyValue label="App ID" value={app.id} />
        <CopyValue label="Token endpoint" value={cfg.tokenEndpoint} />
        <CopyValue label="Issuer" value={cfg.issuer} />
      </div>
      {confidential && <Secrets app={app} />}
    </Card>
  );
}

const expiryChoices = [
  { value: 'never', label: 'Never' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In 1 year' },
  { value: 'custom', label: 'On a date…' },
];

function Secrets({ app }: { app: Application }) {
  const list = useAsync(() => api.get<AppSecret[]>(`/api/applications/${enc(app.id)}/secrets`), [app.id]);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<AppSecret | null>(null);
  const now = Date.now();
  return (
    <div class="subsection">
      <div class="subsection-head">
        <h3>App secrets</h3>
        <Button size="sm" icon="plus" onClick={() => setCreating(true)}>
          Generate new secret
        </Button>
      </div>
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} /> : null}
      <Table
        bordered
        columns={[
          { header: 'Name', cell: (s) => s.name },
          { header: 'Value', cell: () => <span class="muted mono-sm">•••••••• (hidden)</span> },
          { header: 'Created', hideSm: true, class: 'nowrap', cell: (s) => formatDate(s.createdAt) },
          {
            header: 'Expires',
            class: 'nowrap',
            cell: (s) => (s.expiresAt === null ? <span class="muted">Never</span> : s.expiresAt <= now ? <Badge tone="danger">Expired</Badge> : formatDate(s.expiresAt)),
          },
        ]}
        items={list.data ?? []}
        keyOf={(s) => s.name}
        rowActions={(s) => <IconButton icon="trash" variant="danger" label={`Delete secret ${s.name}`} onClick={() => setDeleting(s)} />}
      >
        {list.data && list.data.length === 0 && <p class="muted pad center">No secrets: the app cannot authenticate until you generate one.</p>}
      </Table>
      <CreateSecretDialog
        open={creating}
        app={app}
        existing={(list.data ?? []).map((s) => s.name)}
        onClose={() => setCreating(false)}
        onCreated={list.reload}
      />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete secret"
        confirmLabel="Delete secret"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          await api.del(`/api/applications/${enc(app.id)}/secrets/${enc(deleting!.name)}`);
          toast(`Secret “${deleting!.name}” deleted`);
          list.reload();
        }}
      >
        Delete the secret <strong>{deleting?.name}</strong>? Services still using it will no longer get tokens.
      </ConfirmDialog>
    </div>
  );
}

function CreateSecretDialog({ open, app, existing, onClose, onCreated }: { open: boolean; app: Application; existing: string[]; onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState('');
  const [expiry, setExpiry] = useState('never');
  const [date, setDate] = useState('');
  const [errors, setErrors] = useState<{ name?: string; date?: string }>({});
  const { busy, error, setError, run } = useAction();
  const [value, setValue] = useState<string | null>(null);
  // A layout effect: the form is reset before the dialog can take input.
  useLayoutEffect(() => {
    if (open) {
      setName(`Secret ${new Date().toISOString().slice(0, 10)}`);
      setExpiry('never');
      setDate('');
      setErrors({});
      setError(null);
      setValue(null);
    }
  }, [open]);
  const submit = async () => {
    if (value) {
      onClose();
      return;
    }
    const e: typeof errors = {};
    if (!name.trim()) e.name = 'Enter a name.';
    else if (existing.includes(name.trim())) e.name = 'This app already has a secret with that name.';
    let expiresAt: number | undefined;
    if (expiry === 'custom') {
      const t = date ? new Date(`${date}T23:59:59`).getTime() : NaN;
      if (!date || Number.isNaN(t)) e.date = 'Pick the day the secret stops working.';
      else if (t <= Date.now()) e.date = 'The date must be in the future.';
      else expiresAt = t;
    } else if (expiry !== 'never') {
      expiresAt = Date.now() + Number(expiry) * 86400_000;
    }
    setErrors(e);
    if (Object.keys(e).length) return;
    await run(async () => {
      const s = await api.post<AppSecret>(`/api/applications/${enc(app.id)}/secrets`, expiresAt ? { name: name.trim(), expiresAt } : { name: name.trim() });
      setValue(s.value ?? '');
      onCreated();
    });
  };
  return (
    <Dialog
      open={open}
      title={value ? 'Copy the new secret' : 'Generate new secret'}
      description={value ? undefined : 'An app may hold several secrets, so that you can rotate them without downtime.'}
      onClose={onClose}
      busy={busy}
      onSubmit={submit}
      footer={
        value ? (
          <Button type="submit" variant="primary">
            Done
          </Button>
        ) : (
          <FormButtons onCancel={onClose} busy={busy} label="Generate" />
        )
      }
    >
      {value ? (
        <>
          <Banner tone="warning" icon="lock">
            This is the only time the secret is shown. Store it in your service's secret manager now.
          </Banner>
          <CopyField label="App Secret" value={value} />
        </>
      ) : (
        <>
          <TextField label="Name" required value={name} onInput={(v) => (setName(v), setErrors({ ...errors, name: undefined }))} error={errors.name} autoFocus />
          <SelectField label="Expires" value={expiry} onChange={setExpiry} options={expiryChoices} />
          {expiry === 'custom' && <TextField label="Expiry date" type="date" required value={date} onInput={(v) => (setDate(v), setErrors({ ...errors, date: undefined }))} error={errors.date} />}
          {error ? <ErrorBanner error={error} title="The secret could not be created" /> : null}
        </>
      )}
    </Dialog>
  );
}

function GeneralCard({ app, onSaved }: { app: Application; onSaved: (a: Application) => void }) {
  const [name, setName] = useState(app.name);
  const [description, setDescription] = useState(app.description);
  const [nameError, setNameError] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  const dirty = name !== app.name || description !== app.description;
  const save = async () => {
    if (!name.trim()) {
      setNameError('Enter a name.');
      return;
    }
    setNameError(null);
    await run(async () => {
      onSaved(await api.patch<Application>(`/api/applications/${enc(app.id)}`, { name: name.trim(), description }));
      toast('Changes saved');
    });
  };
  return (
    <FormCard title="General" save={save} busy={busy} dirty={dirty} error={error}>
      <TextField label="Application name" required value={name} onInput={(v) => (setName(v), setNameError(null))} error={nameError} />
      <TextArea label="Description" value={description} onInput={setDescription} rows={2} />
    </FormCard>
  );
}

function validUri(u: string): boolean {
  try {
    const x = new URL(u);
    return !!x.protocol && !u.includes('#');
  } catch {
    return false;
  }
}

function UrisCard({ app, onSaved }: { app: Application; onSaved: (a: Application) => void }) {
  const [redirects, setRedirects] = useState(app.oidcClientMetadata.redirectUris);
  const [logouts, setLogouts] = useState(app.oidcClientMetadata.postLogoutRedirectUris);
  const [origins, setOrigins] = useState(app.customClientMetadata.corsAllowedOrigins ?? []);
  const [errors, setErrors] = useState<{ r?: string; l?: string; o?: string }>({});
  const { busy, error, run } = useAction();
  const clean = (xs: string[]) => xs.map((x) => x.trim()).filter(Boolean);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  // Enabled only when the lists, as they would be saved, differ from the app's.
  const urisDirty =
    !same(clean(redirects), app.oidcClientMetadata.redirectUris) ||
    !same(clean(logouts), app.oidcClientMetadata.postLogoutRedirectUris) ||
    !same(clean(origins), app.customClientMetadata.corsAllowedOrigins ?? []);
  const save = async () => {
    const r = clean(redirects);
    const l = clean(logouts);
    const o = clean(origins);
    const e: typeof errors = {};
    if (r.some((u) => !validUri(u))) e.r = 'Each redirect URI must be an absolute URI without a fragment, e.g. https://app.example.com/callback.';
    if (l.some((u) => !validUri(u))) e.l = 'Each URI must be absolute, without a fragment.';
    if (o.some((u) => !/^https?:\/\/[^/?#\s]+$/.test(u.replace(/\/$/, '')))) e.o = 'Each origin is scheme://host[:port], e.g. https://app.example.com.';
    setErrors(e);
    if (Object.keys(e).length) return;
    await run(async () => {
      const next = await api.patch<Application>(`/api/applications/${enc(app.id)}`, {
        oidcClientMetadata: { redirectUris: r, postLogoutRedirectUris: l },
        customClientMetadata: { corsAllowedOrigins: o },
      });
      onSaved(next);
      setRedirects(next.oidcClientMetadata.redirectUris);
      setLogouts(next.oidcClientMetadata.postLogoutRedirectUris);
      setOrigins(next.customClientMetadata.corsAllowedOrigins ?? []);
      toast('URIs saved');
    });
  };
  return (
    <Card
      title="URIs"
      description="Where Monban may send users back after sign-in and sign-out. Matched exactly."
      footer={
        <Button variant="primary" onClick={save} loading={busy} disabled={!urisDirty}>
          Save URIs
        </Button>
      }
    >
      <ListField label="Redirect URIs" values={redirects} onChange={setRedirects} placeholder="https://app.example.com/callback" addLabel="Add redirect URI" error={errors.r} />
      <ListField label="Post sign-out redirect URIs" values={logouts} onChange={setLogouts} placeholder="https://app.example.com/" addLabel="Add URI" error={errors.l} />
      <ListField
        label="CORS allowed origins"
        values={origins}
        onChange={setOrigins}
        placeholder="https://app.example.com"
        addLabel="Add origin"
        error={errors.o}
        hint="Besides the origins of the redirect URIs, these may call the token endpoint from a browser."
      />
      {error ? <ErrorBanner error={error} title="The URIs could not be saved" /> : null}
    </Card>
  );
}

// SecurityCard holds the app's sender-constraint and flow settings: DPoP
// (RFC 9449), pushed authorization requests (RFC 9126) and, for a Native
// app, the device flow (RFC 8628). Client authentication by
// private_key_jwt is shown, and set through the Management API.
function SecurityCard({ app, onSaved }: { app: Application; onSaved: (a: Application) => void }) {
  const m = app.customClientMetadata;
  const [dpop, setDpop] = useState(!!m.requireDpop);
  const [par, setPar] = useState(!!m.requirePushedAuthorizationRequests);
  const [device, setDevice] = useState(!!m.isDeviceFlow);
  const { busy, error, run } = useAction();
  const m2m = app.type === 'MachineToMachine';
  const dirty = dpop !== !!m.requireDpop || par !== !!m.requirePushedAuthorizationRequests || device !== !!m.isDeviceFlow;
  const save = () =>
    run(async () => {
      const custom: Record<string, boolean> = { requireDpop: dpop };
      if (!m2m) custom.requirePushedAuthorizationRequests = par;
      if (app.type === 'Native') custom.isDeviceFlow = device;
      const next = await api.patch<Application>(`/api/applications/${enc(app.id)}`, { customClientMetadata: custom });
      onSaved(next);
      setDpop(!!next.customClientMetadata.requireDpop);
      setPar(!!next.customClientMetadata.requirePushedAuthorizationRequests);
      setDevice(!!next.customClientMetadata.isDeviceFlow);
      toast('Security settings saved');
    });
  return (
    <Card
      title="Security"
      description="How the app must prove itself and its requests."
      footer={
        <Button variant="primary" onClick={save} loading={busy} disabled={!dirty}>
          Save security settings
        </Button>
      }
    >
      <Switch checked={dpop} onChange={setDpop} label="Require DPoP" description="Refuse tokens not bound to a DPoP key (RFC 9449)." />
      {!m2m && (
        <Switch
          checked={par}
          onChange={setPar}
          label="Require pushed authorization requests"
          description="Take authorization requests only as pushed ones (PAR, RFC 9126)."
        />
      )}
      {app.type === 'Native' && (
        <Switch
          checked={device}
          onChange={setDevice}
          label="Device flow"
          description="Sign users in with the device authorization grant (RFC 8628): the device shows a code, the person enters it at /device."
        />
      )}
      <p class="muted">
        Client authentication: {m.tokenEndpointAuthMethod === 'private_key_jwt' ? `private_key_jwt${m.jwksUri ? ` (keys at ${m.jwksUri})` : ' (registered keys)'}` : 'secrets'}
      </p>
      {error ? <ErrorBanner error={error} title="The security settings could not be saved" /> : null}
    </Card>
  );
}

function AppRoles({ app }: { app: Application }) {
  const roles = useAsync(() => api.all<Role>(`/api/applications/${enc(app.id)}/roles`), [app.id]);
  return (
    <AssignedCard
      title="Machine-to-machine roles"
      description="The app's tokens carry the permissions of these roles for each API resource it asks for."
      list={roles}
      items={roles.data ?? []}
      columns={[
        { header: 'Role', cell: (r) => <Link href={`/roles/${enc(r.id)}`}>{r.name}</Link> },
        { header: 'Description', hideSm: true, class: 'muted', cell: (r) => r.description },
      ]}
      assignLabel="Assign roles"
      empty={{ icon: 'role', title: 'No roles assigned', text: 'Without a role the app gets tokens with no permissions.' }}
      dialog={(p) => <AssignM2MRolesDialog open={p.open} app={app} exclude={p.exclude} onClose={p.onClose} onAssigned={p.onDone} />}
      removeLabel={(r) => `Remove role ${r.name}`}
      remove={{
        title: 'Remove role',
        confirmLabel: 'Remove role',
        question: (r) => (
          <>
            Remove <strong>{r.name}</strong> from <strong>{app.name}</strong>? Its next tokens will lack the role's permissions.
          </>
        ),
        run: (r) => api.del(`/api/applications/${enc(app.id)}/roles/${enc(r.id)}`),
        done: (r) => `Role “${r.name}” removed`,
      }}
    />
  );
}
