import { useState } from 'preact/hooks';
import { api, enc } from '../api';
import { useAction, useAsync, useDebounced, useTitle } from '../hooks';
import { navigate, useLocation } from '../router';
import { CreateButton, LinkRow, ListTable, RowLink, SearchToolbar } from '../ui/ListPage';
import type { User } from '../types';
import { userDisplayName } from '../types';
import { Badge, Banner, Button, Card, CopyField, Dialog, EmptyState, ErrorBanner, formatDate, formatRelative, FormButtons, PageHeader, Pagination, TextField, toast } from '../ui/ui';

export function UserAvatar({ user, size = 'md' }: { user: Pick<User, 'name' | 'username' | 'primaryEmail' | 'primaryPhone' | 'id'>; size?: 'md' | 'lg' }) {
  const n = userDisplayName(user).replace(/@.*/, '');
  const parts = n.split(/[\s._-]+/).filter(Boolean);
  const text = ((parts[0]?.[0] ?? '?') + (parts[1]?.[0] ?? '')).toUpperCase();
  let hash = 0;
  for (const c of user.id) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return (
    <span class={`avatar avatar-${size} avatar-c${hash % 6}`} aria-hidden="true">
      {text}
    </span>
  );
}

export const usernamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const phonePattern = /^\+?[0-9]{4,20}$/;
export const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** A random password of 16 characters from an unambiguous alphabet. */
export function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return `${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8, 12)}-${out.slice(12)}`;
}

export function Users() {
  useTitle('Users');
  const { query } = useLocation();
  const [q, setQ] = useState(query.get('search') ?? '');
  const [page, setPage] = useState(1);
  const search = useDebounced(q.trim(), 300);
  const pageSize = 20;
  const list = useAsync(() => api.page<User>('/api/users', page, pageSize, { search: search ? `%${search}%` : undefined }), [search, page]);
  const [creating, setCreating] = useState(false);
  return (
    <div class="page">
      <PageHeader title="Users" subtitle="The people who sign in to your apps: their profiles, passwords, roles and status." actions={<CreateButton onClick={() => setCreating(true)}>Add user</CreateButton>} />
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} title="Users could not be loaded" /> : null}
      <Card padded={false}>
        <SearchToolbar
          value={q}
          onInput={(v) => {
            setQ(v);
            setPage(1);
          }}
          placeholder="Search by name, email or phone"
          label="Search users"
          count={list.data ? `${list.data.total} user${list.data.total === 1 ? '' : 's'}` : ''}
        />
        <ListTable
          heads={[
            { label: 'User' },
            { label: 'Email', hide: 'sm' },
            { label: 'Phone', hide: 'md' },
            { label: 'Status' },
            { label: 'Last sign-in', hide: 'sm' },
          ]}
          loading={list.loading && !list.data}
        >
          {(list.data?.items ?? []).map((u) => (
            <LinkRow key={u.id} href={`/users/${enc(u.id)}`}>
              <td>
                <div class="cell-title">
                  <UserAvatar user={u} />
                  <div>
                    <RowLink href={`/users/${enc(u.id)}`}>{userDisplayName(u)}</RowLink>
                    <div class="cell-sub">{u.username && u.name ? `@${u.username}` : <code class="mono-sm">{u.id}</code>}</div>
                  </div>
                </div>
              </td>
              <td class="hide-sm">{u.primaryEmail || <span class="muted">—</span>}</td>
              <td class="hide-md">{u.primaryPhone || <span class="muted">—</span>}</td>
              <td>{u.isSuspended ? <Badge tone="danger">Suspended</Badge> : <Badge tone="success">Active</Badge>}</td>
              <td class="hide-sm nowrap" title={formatDate(u.lastSignInAt)}>
                {u.lastSignInAt ? formatRelative(u.lastSignInAt) : <span class="muted">Never</span>}
              </td>
            </LinkRow>
          ))}
        </ListTable>
        {list.data && list.data.items.length === 0 && (
          <EmptyState icon="users" title={search ? 'No user matches' : 'No users yet'} action={!search && <CreateButton onClick={() => setCreating(true)}>Add user</CreateButton>}>
            {search ? 'Try another name, username, email or phone number.' : 'Add users here, or let them sign up through your apps.'}
          </EmptyState>
        )}
        {list.data && <Pagination page={page} pageSize={pageSize} total={list.data.total} onPage={setPage} />}
      </Card>
      <CreateUserDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}

function CreateUserDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [username, setUsername] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const { busy, error, setError, run } = useAction();
  const [created, setCreated] = useState<{ user: User; password: string } | null>(null);
  const reset = () => {
    setUsername('');
    setEmail('');
    setPhone('');
    setName('');
    setPassword('');
    setErrors({});
    setError(null);
    setCreated(null);
  };
  const close = () => {
    if (busy) return;
    const u = created?.user;
    reset();
    onClose();
    if (u) navigate(`/users/${enc(u.id)}`);
  };
  const submit = async () => {
    if (created) return close();
    const e: Record<string, string> = {};
    const un = username.trim();
    const em = email.trim();
    const ph = phone.trim().replace(/[\s()-]/g, '');
    if (!un && !em && !ph) e.username = 'Give at least a username, an email or a phone number.';
    if (un && !usernamePattern.test(un)) e.username = 'A letter or underscore, then letters, digits and underscores.';
    if (em && !emailPattern.test(em)) e.email = 'Enter an email address such as jane@example.com.';
    if (ph && !phonePattern.test(ph)) e.phone = '4 to 20 digits, optionally after +.';
    if (password && password.length < 8) e.password = 'At least 8 characters.';
    setErrors(e);
    if (Object.keys(e).length) return;
    await run(async () => {
      const body: Record<string, unknown> = {};
      if (un) body.username = un;
      if (em) body.primaryEmail = em;
      if (ph) body.primaryPhone = ph;
      if (name.trim()) body.name = name.trim();
      if (password) body.password = password;
      const user = await api.post<User>('/api/users', body);
      toast(`User “${userDisplayName(user)}” added`);
      if (password) setCreated({ user, password });
      else {
        reset();
        onClose();
        navigate(`/users/${enc(user.id)}`);
      }
    });
  };
  return (
    <Dialog
      open={open}
      title={created ? 'User added' : 'Add user'}
      description={created ? undefined : 'At least one of username, email or phone; the user signs in with it.'}
      onClose={close}
      busy={busy}
      onSubmit={submit}
      footer={
        created ? (
          <Button type="submit" variant="primary">
            Go to user
          </Button>
        ) : (
          <FormButtons onCancel={close} busy={busy} label="Add user" />
        )
      }
    >
      {created ? (
        <>
          <Banner tone="warning" icon="lock">
            Send this password to <strong>{userDisplayName(created.user)}</strong> over a safe channel. It is not shown again.
          </Banner>
          <CopyField label="Password" value={created.password} />
        </>
      ) : (
        <>
          <div class="form-row">
            <TextField label="Username" value={username} onInput={(v) => (setUsername(v), setErrors({ ...errors, username: '' }))} error={errors.username} placeholder="jane" autoFocus />
            <TextField label="Full name" value={name} onInput={setName} placeholder="Jane Doe" />
          </div>
          <div class="form-row">
            <TextField label="Email" type="email" value={email} onInput={(v) => (setEmail(v), setErrors({ ...errors, email: '' }))} error={errors.email} placeholder="jane@example.com" />
            <TextField label="Phone" type="tel" value={phone} onInput={(v) => (setPhone(v), setErrors({ ...errors, phone: '' }))} error={errors.phone} placeholder="+15551234567" />
          </div>
          <div class="field-with-action">
            <TextField label="Password" value={password} onInput={(v) => (setPassword(v), setErrors({ ...errors, password: '' }))} error={errors.password} hint="Optional; at least 8 characters. Without one, the user cannot sign in with a password yet." mono />
            <Button size="sm" onClick={() => setPassword(generatePassword())}>
              Generate
            </Button>
          </div>
          {error ? <ErrorBanner error={error} title="The user could not be added" /> : null}
        </>
      )}
    </Dialog>
  );
}
