import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAction, useAsync, useTitle } from '../hooks';
import type { Hook } from '../types';
import { CreateButton, ListTable } from '../ui/ListPage';
import { Badge, Checkbox, ConfirmDialog, CopyField, Dialog, EmptyState, ErrorBanner, FormButtons, IconButton, PageHeader, Card, TextField, toast } from '../ui/ui';

// The events Monban sends today (see docs/management-api.md, Webhooks).
const events = [
  { value: 'PostSignIn', text: 'A user signed in on the hosted page' },
  { value: 'User.Created', text: 'User created' },
  { value: 'User.Data.Updated', text: 'User changed (profile, custom data, password)' },
  { value: 'User.SuspensionStatus.Updated', text: 'User suspended or reactivated' },
  { value: 'User.Deleted', text: 'User deleted' },
  { value: 'Role.Created', text: 'Role created' },
  { value: 'Role.Data.Updated', text: 'Role changed' },
  { value: 'Role.Scopes.Updated', text: "Role's permissions changed" },
  { value: 'Role.Deleted', text: 'Role deleted' },
  { value: 'Scope.Created', text: 'Permission created' },
  { value: 'Scope.Data.Updated', text: 'Permission changed' },
  { value: 'Scope.Deleted', text: 'Permission deleted' },
];

export function Webhooks() {
  useTitle('Webhooks');
  const list = useAsync(() => api.get<Hook[]>('/api/hooks', { includeExecutionStats: 'true' }), []);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Hook | null>(null);
  const [deleting, setDeleting] = useState<Hook | null>(null);
  const rows = list.data ?? [];
  return (
    <div class="page">
      <PageHeader
        title="Webhooks"
        subtitle="Endpoints told of sign-ins and of changes to users, roles and permissions: signed, retried until they answer, never in the way of a token."
        actions={<CreateButton onClick={() => setCreating(true)}>Create webhook</CreateButton>}
      />
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} title="Webhooks could not be loaded" /> : null}
      <Card padded={false}>
        <ListTable heads={[{ label: 'Name' }, { label: 'Endpoint' }, { label: 'Events', hide: 'sm' }, { label: 'Last 24 hours', hide: 'sm' }, { label: '' }]} loading={list.loading && !list.data}>
          {rows.map((h) => {
            const evs = h.events.length ? h.events : h.event ? [h.event] : [];
            const stats = h.executionStats;
            return (
              <tr key={h.id}>
                <td>
                  <strong>{h.name || 'Unnamed webhook'}</strong> {!h.enabled && <Badge tone="warning">Disabled</Badge>}
                </td>
                <td>
                  <code class="mono-sm">{h.config.url}</code>
                </td>
                <td class="hide-sm">
                  {evs.map((e) => (
                    <code key={e} class="tag">
                      {e}
                    </code>
                  ))}
                </td>
                <td class="hide-sm nowrap">{stats ? `${stats.successCount} of ${stats.requestCount} delivered` : ''}</td>
                <td class="nowrap">
                  <IconButton icon="trash" label={`Delete ${h.name || h.config.url}`} variant="danger" onClick={() => setDeleting(h)} />
                </td>
              </tr>
            );
          })}
        </ListTable>
        {list.data && rows.length === 0 && (
          <EmptyState icon="globe" title="No webhooks yet">
            Create one to have an endpoint told of sign-ins and changes.
          </EmptyState>
        )}
      </Card>
      <CreateHookDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(h) => {
          setCreated(h);
          list.reload();
        }}
      />
      <Dialog open={created !== null} title="Webhook created" description="Verify each request's logto-signature-sha-256 header: the hex HMAC-SHA256 of the body under this key." onClose={() => setCreated(null)}>
        {created && <CopyField label="Signing key" value={created.signingKey} masked />}
      </Dialog>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete webhook"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          await api.del(`/api/hooks/${enc(deleting.id)}`);
          toast('Webhook deleted');
          list.reload();
        }}
      >
        Deliveries not yet sent to <code>{deleting?.config.url}</code> are dropped.
      </ConfirmDialog>
    </div>
  );
}

function CreateHookDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (h: Hook) => void }) {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [errors, setErrors] = useState<{ url?: string; events?: string }>({});
  const { busy, error, setError, run } = useAction();
  const close = () => {
    if (busy) return;
    setName('');
    setUrl('');
    setChosen([]);
    setErrors({});
    setError(null);
    onClose();
  };
  const submit = async () => {
    const e: typeof errors = {};
    try {
      const u = new URL(url.trim());
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
    } catch {
      e.url = 'Enter the endpoint, an http or https URL.';
    }
    if (!chosen.length) e.events = 'Choose at least one event.';
    setErrors(e);
    if (Object.keys(e).length) return;
    await run(async () => {
      const h = await api.post<Hook>('/api/hooks', { name: name.trim(), events: chosen, config: { url: url.trim() } });
      toast('Webhook created');
      close();
      onCreated(h);
    });
  };
  return (
    <Dialog open={open} title="Create webhook" description="Each event is POSTed to the endpoint as JSON, in Logto's shape." onClose={close} busy={busy} onSubmit={submit} size="lg" footer={<FormButtons onCancel={close} busy={busy} label="Create webhook" />}>
      <TextField label="Name" value={name} onInput={setName} placeholder="e.g. CRM sync" autoFocus />
      <TextField label="Endpoint URL" required value={url} onInput={(v) => (setUrl(v), setErrors({ ...errors, url: undefined }))} error={errors.url} placeholder="https://hooks.example.com/monban" mono hint="Loopback and private addresses are refused unless allowed by MONBAN_HOOK_ALLOW." />
      <fieldset class="field">
        <legend class="field-label">Events</legend>
        {events.map((ev) => (
          <Checkbox key={ev.value} checked={chosen.includes(ev.value)} onChange={(on) => (setChosen(on ? [...chosen, ev.value] : chosen.filter((x) => x !== ev.value)), setErrors({ ...errors, events: undefined }))}>
            <code class="tag">{ev.value}</code> {ev.text}
          </Checkbox>
        ))}
        {errors.events && <p class="field-error">{errors.events}</p>}
      </fieldset>
      {error ? <ErrorBanner error={error} title="The webhook could not be created" /> : null}
    </Dialog>
  );
}
