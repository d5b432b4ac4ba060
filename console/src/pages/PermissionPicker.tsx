import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAsync } from '../hooks';
import type { Resource, Scope } from '../types';
import { Checkbox, ErrorBanner, SearchBox } from '../ui/ui';

export interface ResourceScopes {
  resource: Resource;
  scopes: Scope[];
}

/** Every API resource with its permissions. */
export async function loadAllScopes(): Promise<ResourceScopes[]> {
  const resources = await api.all<Resource>('/api/resources');
  resources.sort((a, b) => Number(b.isBuiltIn) - Number(a.isBuiltIn) || a.name.localeCompare(b.name));
  return Promise.all(resources.map(async (resource) => ({ resource, scopes: await api.all<Scope>(`/api/resources/${enc(resource.id)}/scopes`) })));
}

/** Permissions grouped by API resource, with checkboxes and a search box. */
export function PermissionPicker({ picked, onChange, exclude = [] }: { picked: string[]; onChange: (ids: string[]) => void; exclude?: string[] }) {
  const data = useAsync(loadAllScopes, []);
  const [q, setQ] = useState('');
  const needle = q.trim().toLowerCase();
  if (data.error) return <ErrorBanner error={data.error} onRetry={data.reload} title="Permissions could not be loaded" />;
  const groups = (data.data ?? [])
    .map((g) => ({
      ...g,
      scopes: g.scopes.filter(
        (s) => !exclude.includes(s.id) && (!needle || s.name.toLowerCase().includes(needle) || g.resource.name.toLowerCase().includes(needle) || s.description.toLowerCase().includes(needle)),
      ),
    }))
    .filter((g) => g.scopes.length > 0);
  const toggle = (id: string, v: boolean) => onChange(v ? [...picked, id] : picked.filter((x) => x !== id));
  return (
    <div class="perm-picker">
      <SearchBox value={q} onInput={setQ} placeholder="Search permissions or APIs" label="Search permissions" />
      <div class="pick-list tall">
        {data.loading && !data.data ? (
          <p class="muted pad">Loading permissions…</p>
        ) : groups.length === 0 ? (
          <p class="muted pad">{needle ? 'No permission matches.' : 'No permissions to add: create permissions on an API resource first.'}</p>
        ) : (
          groups.map((g) => {
            const all = g.scopes.every((s) => picked.includes(s.id));
            return (
              <fieldset key={g.resource.id} class="pick-group">
                <legend class="pick-group-head">
                  <Checkbox
                    checked={all}
                    onChange={(v) => {
                      const ids = g.scopes.map((s) => s.id);
                      onChange(v ? [...new Set([...picked, ...ids])] : picked.filter((x) => !ids.includes(x)));
                    }}
                  >
                    <span class="pick-title">{g.resource.name}</span>
                    <span class="pick-sub mono-sm">{g.resource.indicator}</span>
                  </Checkbox>
                </legend>
                <div class="pick-group-items">
                  {g.scopes.map((s) => (
                    <Checkbox key={s.id} checked={picked.includes(s.id)} onChange={(v) => toggle(s.id, v)}>
                      <code class="tag">{s.name}</code>
                      {s.description && <span class="pick-sub">{s.description}</span>}
                    </Checkbox>
                  ))}
                </div>
              </fieldset>
            );
          })
        )}
      </div>
      <p class="field-hint">{picked.length ? `${picked.length} permission${picked.length === 1 ? '' : 's'} selected` : 'No permission selected'}</p>
    </div>
  );
}
