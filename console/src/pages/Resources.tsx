import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAction, useAsync, useTitle } from '../hooks';
import { navigate } from '../router';
import { CreateButton, LinkRow, ListTable, RowLink, SearchToolbar, useSearch } from '../ui/ListPage';
import type { Resource } from '../types';
import { Icon } from '../ui/icons';
import { Badge, Card, Dialog, EmptyState, ErrorBanner, formatDuration, FormButtons, PageHeader, TextField, toast } from '../ui/ui';

export function ResourceIcon({ builtIn }: { builtIn?: boolean }) {
  return (
    <span class={`app-icon ${builtIn ? 'app-icon-builtin' : 'app-icon-resource'}`} aria-hidden="true">
      <Icon name={builtIn ? 'lock' : 'resource'} size={18} />
    </span>
  );
}

export function Resources() {
  useTitle('API resources');
  const list = useAsync(() => api.all<Resource>('/api/resources'), []);
  const { q, setQ, rows, count } = useSearch(list.data, (a, b) => Number(b.isBuiltIn) - Number(a.isBuiltIn) || a.name.localeCompare(b.name), (r) => [r.name, r.indicator]);
  const [creating, setCreating] = useState(false);
  return (
    <div class="page">
      <PageHeader
        title="API resources"
        subtitle="The APIs Monban issues access tokens for, named by their indicator (the token's audience), with their permissions."
        actions={<CreateButton onClick={() => setCreating(true)}>Create API resource</CreateButton>}
      />
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} title="API resources could not be loaded" /> : null}
      <Card padded={false}>
        <SearchToolbar value={q} onInput={setQ} placeholder="Search by name or indicator" label="Search API resources" count={count} />
        <ListTable heads={[{ label: 'Name' }, { label: 'API identifier' }, { label: 'Token lifetime', hide: 'sm' }]} loading={list.loading && !list.data}>
          {rows.map((r) => (
            <LinkRow key={r.id} href={`/api-resources/${enc(r.id)}`}>
              <td>
                <div class="cell-title">
                  <ResourceIcon builtIn={r.isBuiltIn} />
                  <div>
                    <RowLink href={`/api-resources/${enc(r.id)}`}>{r.name}</RowLink>
                    <div class="cell-badges">
                      {r.isBuiltIn && <Badge tone="info">Built-in</Badge>}
                      {r.isDefault && <Badge tone="success">Default</Badge>}
                    </div>
                  </div>
                </div>
              </td>
              <td>
                <code class="mono-sm">{r.indicator}</code>
              </td>
              <td class="hide-sm nowrap">{formatDuration(r.accessTokenTtl)}</td>
            </LinkRow>
          ))}
        </ListTable>
        {list.data && rows.length === 0 && (
          <EmptyState icon="resource" title={q ? 'No API resource matches' : 'No API resources'}>
            {q ? 'Try another name or indicator.' : 'Create one for each API your services protect.'}
          </EmptyState>
        )}
      </Card>
      <CreateResourceDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function CreateResourceDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [name, setName] = useState('');
  const [indicator, setIndicator] = useState('');
  const [ttl, setTtl] = useState('3600');
  const [errors, setErrors] = useState<{ name?: string; indicator?: string; ttl?: string }>({});
  const { busy, error, setError, run } = useAction();
  const close = () => {
    if (busy) return;
    setName('');
    setIndicator('');
    setTtl('3600');
    setErrors({});
    setError(null);
    onClose();
  };
  const submit = async () => {
    const e: typeof errors = {};
    if (!name.trim()) e.name = 'Enter a name.';
    const ind = indicator.trim();
    if (!ind) e.indicator = 'Enter the API identifier, e.g. https://api.example.com.';
    else {
      try {
        const u = new URL(ind);
        if (!u.protocol || ind.includes('#')) throw new Error();
      } catch {
        e.indicator = 'The identifier must be an absolute URI without a fragment, e.g. https://api.example.com.';
      }
    }
    const t = Number(ttl);
    if (!Number.isInteger(t) || t < 1 || t > 2592000) e.ttl = 'A whole number of seconds from 1 to 2,592,000 (30 days).';
    setErrors(e);
    if (Object.keys(e).length) return;
    await run(async () => {
      const r = await api.post<Resource>('/api/resources', { name: name.trim(), indicator: ind, accessTokenTtl: t });
      toast(`API resource “${r.name}” created`);
      close();
      navigate(`/api-resources/${enc(r.id)}?tab=permissions`);
    });
  };
  return (
    <Dialog
      open={open}
      title="Create API resource"
      description="The identifier is what services ask for as resource (or audience), and what their tokens carry in aud."
      onClose={close}
      busy={busy}
      onSubmit={submit}
      footer={
        <FormButtons onCancel={close} busy={busy} label="Create API resource" />
      }
    >
      <TextField label="API name" required value={name} onInput={(v) => (setName(v), setErrors({ ...errors, name: undefined }))} error={errors.name} placeholder="e.g. Shopping API" autoFocus />
      <TextField label="API identifier" required value={indicator} onInput={(v) => (setIndicator(v), setErrors({ ...errors, indicator: undefined }))} error={errors.indicator} placeholder="https://shopping.api" mono hint="An absolute URI. It cannot be changed later." />
      <TextField label="Access token lifetime (seconds)" type="number" min={1} max={2592000} value={ttl} onInput={(v) => (setTtl(v), setErrors({ ...errors, ttl: undefined }))} error={errors.ttl} hint="Default 3600 (one hour); at most 30 days." />
      {error ? <ErrorBanner error={error} title="The API resource could not be created" /> : null}
    </Dialog>
  );
}
