import { useState } from 'preact/hooks';
import { api, ApiError, enc, errorMessage } from '../api';
import { CodeEditor, type ServerDiagnostic } from '../editor/CodeEditor';
import { useAction, useAsync, useTitle } from '../hooks';
import { Link, navigate, useLocation } from '../router';
import type { Role, User } from '../types';
import { userDisplayName } from '../types';
import { DeleteDialog } from '../ui/DeleteDialog';
import { FormCard } from '../ui/FormCard';
import { Badge, Banner, Button, Card, ConfirmDialog, CopyField, Dialog, EmptyState, ErrorBanner, formatDate, FormButtons, Loading, PageHeader, TabPanel, Tabs, TextField, toast } from '../ui/ui';
import { AssignedCard, type AssignDialogProps } from '../ui/ListCard';
import { PickDialog, roleItem } from '../ui/PickDialog';
import { LogTable } from './AuditLogs';
import { emailPattern, generatePassword, phonePattern, UserAvatar, usernamePattern } from './Users';

type Tab = 'profile' | 'roles' | 'logs';

export function UserDetail({ id }: { id: string }) {
  const user = useAsync(() => api.get<User>(`/api/users/${enc(id)}`), [id]);
  const { query } = useLocation();
  const [tab, setTab] = useState<Tab>((query.get('tab') as Tab) || 'profile');
  // 'suspend' and 'reactivate' are told apart when the dialog opens: the
  // dialog must keep asking what it asked while its own action changes the
  // user it was opened for.
  const [action, setAction] = useState<'delete' | 'suspend' | 'reactivate' | 'password' | null>(null);
  useTitle(user.data ? userDisplayName(user.data) : 'User');
  if (user.error) {
    if (user.error instanceof ApiError && user.error.status === 404)
      return (
        <EmptyState icon="users" title="User not found" action={<Button onClick={() => navigate('/users')}>Back to users</Button>}>
          The user may have been deleted.
        </EmptyState>
      );
    return <ErrorBanner error={user.error} onRetry={user.reload} />;
  }
  if (!user.data) return <Loading />;
  const u = user.data;
  const changeTab = (t: Tab) => {
    setTab(t);
    navigate(`/users/${enc(id)}${t === 'profile' ? '' : `?tab=${t}`}`, { replace: true });
  };
  return (
    <div class="page">
      <PageHeader
        back={{ href: '/users', label: 'Users' }}
        icon={<UserAvatar user={u} size="lg" />}
        title={userDisplayName(u)}
        meta={
          <>
            {u.isSuspended ? <Badge tone="danger">Suspended</Badge> : <Badge tone="success">Active</Badge>}
            <span class="meta">
              User ID <code class="mono-sm">{u.id}</code>
            </span>
            <span class="meta">Last sign-in {u.lastSignInAt ? formatDate(u.lastSignInAt) : 'never'}</span>
          </>
        }
        actions={
          <>
            <Button icon="key" onClick={() => setAction('password')}>
              Reset password
            </Button>
            <Button icon="lock" onClick={() => setAction(u.isSuspended ? 'reactivate' : 'suspend')}>
              {u.isSuspended ? 'Reactivate' : 'Suspend'}
            </Button>
            <Button variant="danger-soft" icon="trash" onClick={() => setAction('delete')}>
              Delete
            </Button>
          </>
        }
      />
      {u.isSuspended && (
        <Banner tone="warning" icon="lock">
          This user is suspended: they cannot sign in, and their tokens were revoked.
        </Banner>
      )}
      <Tabs
        tabs={[
          { id: 'profile', label: 'Profile' },
          { id: 'roles', label: 'Roles' },
          { id: 'logs', label: 'Logs' },
        ]}
        active={tab}
        onChange={changeTab}
        label="User sections"
      />
      {tab === 'profile' && (
        <TabPanel id="profile">
          <BasicInfo user={u} onSaved={user.set} />
          <ProfileCard user={u} onSaved={user.set} />
          <CustomData user={u} onSaved={user.set} />
        </TabPanel>
      )}
      {tab === 'roles' && (
        <TabPanel id="roles">
          <UserRoles user={u} />
        </TabPanel>
      )}
      {tab === 'logs' && (
        <TabPanel id="logs">
          <LogTable userId={u.id} />
        </TabPanel>
      )}
      <DeleteDialog
        open={action === 'delete'}
        title="Delete user"
        onClose={() => setAction(null)}
        path={`/api/users/${enc(u.id)}`}
        done={`User “${userDisplayName(u)}” deleted`}
        then="/users"
      >
        Delete <strong>{userDisplayName(u)}</strong>? Their sessions and tokens end at once. This cannot be undone.
      </DeleteDialog>
      <ConfirmDialog
        open={action === 'suspend' || action === 'reactivate'}
        title={action === 'reactivate' ? 'Reactivate user' : 'Suspend user'}
        confirmLabel={action === 'reactivate' ? 'Reactivate' : 'Suspend'}
        tone={action === 'reactivate' ? 'primary' : 'danger'}
        onClose={() => setAction(null)}
        onConfirm={async () => {
          const suspend = action !== 'reactivate';
          user.set(await api.patch<User>(`/api/users/${enc(u.id)}/is-suspended`, { isSuspended: suspend }));
          toast(suspend ? 'User suspended' : 'User reactivated');
        }}
      >
        {action === 'reactivate' ? (
          <>
            <strong>{userDisplayName(u)}</strong> will be able to sign in again.
          </>
        ) : (
          <>
            <strong>{userDisplayName(u)}</strong> will be signed out everywhere: sessions end, refresh tokens and access tokens are revoked, and sign-in is refused until you reactivate the
            user.
          </>
        )}
      </ConfirmDialog>
      <PasswordDialog open={action === 'password'} user={u} onClose={() => setAction(null)} onDone={user.reload} />
    </div>
  );
}

const orNull = (s: string) => (s.trim() ? s.trim() : null);

function BasicInfo({ user, onSaved }: { user: User; onSaved: (u: User) => void }) {
  const [username, setUsername] = useState(user.username ?? '');
  const [email, setEmail] = useState(user.primaryEmail ?? '');
  const [phone, setPhone] = useState(user.primaryPhone ?? '');
  const [name, setName] = useState(user.name ?? '');
  const [avatar, setAvatar] = useState(user.avatar ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const { busy, error, run } = useAction();
  const dirty = username !== (user.username ?? '') || email !== (user.primaryEmail ?? '') || phone !== (user.primaryPhone ?? '') || name !== (user.name ?? '') || avatar !== (user.avatar ?? '');
  const save = async () => {
    const e: Record<string, string> = {};
    if (username.trim() && !usernamePattern.test(username.trim())) e.username = 'A letter or underscore, then letters, digits and underscores.';
    if (email.trim() && !emailPattern.test(email.trim())) e.email = 'Enter an email address such as jane@example.com.';
    if (phone.trim() && !phonePattern.test(phone.trim())) e.phone = '4 to 20 digits, optionally after +.';
    if (avatar.trim() && !/^https?:\/\/\S+$/.test(avatar.trim())) e.avatar = 'An http(s) URL.';
    setErrors(e);
    if (Object.keys(e).length) return;
    await run(async () => {
      onSaved(
        await api.patch<User>(`/api/users/${enc(user.id)}`, {
          username: orNull(username),
          primaryEmail: orNull(email),
          primaryPhone: orNull(phone),
          name: orNull(name),
          avatar: orNull(avatar),
        }),
      );
      toast('Profile saved');
    });
  };
  return (
    <FormCard
      title="Basic information"
      description="The identifiers the user signs in with, and how they appear."
      save={save}
      busy={busy}
      dirty={dirty}
      formClass="form-grid two"
      error={error}
      errorTitle="The profile could not be saved"
    >
      <TextField label="Username" value={username} onInput={setUsername} error={errors.username} />
      <TextField label="Full name" value={name} onInput={setName} />
      <TextField label="Email" type="email" value={email} onInput={setEmail} error={errors.email} />
      <TextField label="Phone" type="tel" value={phone} onInput={setPhone} error={errors.phone} />
      <TextField label="Avatar URL" value={avatar} onInput={setAvatar} error={errors.avatar} placeholder="https://…" />
      <div class="field">
        <span class="field-label">Account</span>
        <p class="field-static">
          <span class="nowrap">{user.hasPassword ? 'Has a password' : 'No password'}</span> · <span class="nowrap">created {formatDate(user.createdAt)}</span> ·{' '}
          <span class="nowrap">updated {formatDate(user.updatedAt)}</span>
        </p>
      </div>
    </FormCard>
  );
}

const profileFields: { key: string; label: string; placeholder?: string }[] = [
  { key: 'givenName', label: 'Given name' },
  { key: 'familyName', label: 'Family name' },
  { key: 'middleName', label: 'Middle name' },
  { key: 'nickname', label: 'Nickname' },
  { key: 'preferredUsername', label: 'Preferred username' },
  { key: 'website', label: 'Website', placeholder: 'https://…' },
  { key: 'birthdate', label: 'Birthdate', placeholder: 'YYYY-MM-DD' },
  { key: 'gender', label: 'Gender' },
  { key: 'locale', label: 'Locale', placeholder: 'en-GB' },
  { key: 'zoneinfo', label: 'Time zone', placeholder: 'Europe/London' },
];

function ProfileCard({ user, onSaved }: { user: User; onSaved: (u: User) => void }) {
  const initial = () => Object.fromEntries(profileFields.map((f) => [f.key, typeof user.profile?.[f.key] === 'string' ? (user.profile[f.key] as string) : '']));
  const [values, setValues] = useState<Record<string, string>>(initial);
  const saved = initial();
  const profileDirty = profileFields.some((f) => values[f.key].trim() !== saved[f.key]);
  const { busy, error, run } = useAction();
  const save = async () => {
    await run(async () => {
      const profile: Record<string, unknown> = { ...(user.profile ?? {}) };
      for (const f of profileFields) {
        const v = values[f.key].trim();
        if (v) profile[f.key] = v;
        else delete profile[f.key];
      }
      onSaved(await api.patch<User>(`/api/users/${enc(user.id)}`, { profile }));
      toast('Profile saved');
    });
  };
  return (
    <Card
      title="OpenID Connect profile"
      description="Standard claims returned by the userinfo endpoint and in ID tokens."
      footer={
        <Button variant="primary" onClick={save} loading={busy} disabled={!profileDirty}>
          Save profile
        </Button>
      }
    >
      <div class="form-grid two">
        {profileFields.map((f) => (
          <TextField key={f.key} label={f.label} value={values[f.key]} placeholder={f.placeholder} onInput={(v) => setValues({ ...values, [f.key]: v })} />
        ))}
      </div>
      {error ? <ErrorBanner error={error} title="The profile could not be saved" /> : null}
    </Card>
  );
}

function CustomData({ user, onSaved }: { user: User; onSaved: (u: User) => void }) {
  const [text, setText] = useState(() => JSON.stringify(user.customData ?? {}, null, 2));
  const [doc] = useState(text);
  // The text last saved (or loaded): the button waits for a change to it.
  const [savedText, setSavedText] = useState(text);
  const { busy, error, setError, run } = useAction();
  const [diags, setDiags] = useState<ServerDiagnostic[] | undefined>();
  const save = async () => {
    let data: unknown;
    try {
      data = JSON.parse(text || '{}');
    } catch (e) {
      setError(`Not valid JSON: ${(e as Error).message}`);
      return;
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      setError('Custom data must be a JSON object, e.g. {"plan": "pro"}.');
      setDiags([{ line: 1, column: 1, message: 'Expected a JSON object' }]);
      return;
    }
    await run(async () => {
      await api.patch(`/api/users/${enc(user.id)}/custom-data`, { customData: data });
      onSaved({ ...user, customData: data as Record<string, unknown> });
      setSavedText(text);
      toast('Custom data saved');
    });
  };
  return (
    <Card
      title="Custom data"
      description={
        <>
          Any JSON object (at most 16 KiB) your apps and custom JWT scripts can read as <code>context.user.customData</code>.
        </>
      }
      footer={
        <Button variant="primary" onClick={save} loading={busy} disabled={text === savedText}>
          Save custom data
        </Button>
      }
    >
      <CodeEditor value={doc} onChange={setText} language="json" label="Custom data (JSON)" height={180} diagnostics={diags} testId="custom-data" />
      {error ? (
        <p class="field-error" role="alert">
          {errorMessage(error)}
        </p>
      ) : null}
    </Card>
  );
}

function PasswordDialog({ open, user, onClose, onDone }: { open: boolean; user: User; onClose: () => void; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const { busy, error, setError, run } = useAction();
  const [done, setDone] = useState(false);
  const close = () => {
    if (busy) return;
    setPassword('');
    setErr(null);
    setError(null);
    setDone(false);
    onClose();
  };
  const submit = async () => {
    if (done) return close();
    if (password.length < 8) return setErr('At least 8 characters.');
    if (password.length > 256) return setErr('At most 256 characters.');
    setErr(null);
    await run(async () => {
      await api.patch(`/api/users/${enc(user.id)}/password`, { password });
      toast('Password reset');
      setDone(true);
      onDone();
    });
  };
  return (
    <Dialog
      open={open}
      title={done ? 'Password reset' : 'Reset password'}
      description={done ? undefined : `Set a new password for ${userDisplayName(user)}.`}
      onClose={close}
      busy={busy}
      onSubmit={submit}
      footer={
        done ? (
          <Button type="submit" variant="primary">
            Done
          </Button>
        ) : (
          <FormButtons onCancel={close} busy={busy} label="Reset password" />
        )
      }
    >
      {done ? (
        <>
          <Banner tone="warning" icon="lock">
            Send the new password to the user over a safe channel. It is not shown again.
          </Banner>
          <CopyField label="New password" value={password} />
        </>
      ) : (
        <>
          <div class="field-with-action">
            <TextField label="New password" value={password} onInput={(v) => (setPassword(v), setErr(null))} error={err} mono autoFocus />
            <Button size="sm" onClick={() => setPassword(generatePassword())}>
              Generate
            </Button>
          </div>
          {error ? <ErrorBanner error={error} title="The password could not be reset" /> : null}
        </>
      )}
    </Dialog>
  );
}

function UserRoles({ user }: { user: User }) {
  const roles = useAsync(() => api.all<Role>(`/api/users/${enc(user.id)}/roles`), [user.id]);
  return (
    <AssignedCard
      title="Roles"
      description="The user's tokens carry the permissions of these roles."
      list={roles}
      items={roles.data ?? []}
      columns={[
        { header: 'Role', cell: (r) => <Link href={`/roles/${enc(r.id)}`}>{r.name}</Link> },
        { header: 'Description', hideSm: true, class: 'muted', cell: (r) => r.description || '—' },
      ]}
      assignLabel="Assign roles"
      empty={{ icon: 'role', title: 'No roles', text: 'The user holds no role yet.' }}
      dialog={(p) => <AssignUserRolesDialog {...p} user={user} />}
      removeLabel={(r) => `Remove role ${r.name}`}
      remove={{
        title: 'Remove role',
        confirmLabel: 'Remove role',
        question: (r) => (
          <>
            Remove <strong>{r.name}</strong> from <strong>{userDisplayName(user)}</strong>?
          </>
        ),
        run: (r) => api.del(`/api/users/${enc(user.id)}/roles/${enc(r.id)}`),
        done: (r) => `Role “${r.name}” removed`,
      }}
    />
  );
}

function AssignUserRolesDialog({ open, user, exclude, onClose, onDone }: AssignDialogProps & { user: User }) {
  const all = useAsync(() => (open ? api.all<Role>('/api/roles', { type: 'User' }) : Promise.resolve([] as Role[])), [open]);
  const [q, setQ] = useState('');
  const rows = (all.data ?? []).filter((r) => !exclude.includes(r.id) && r.name.toLowerCase().includes(q.trim().toLowerCase()));
  return (
    <PickDialog
      open={open}
      title="Assign roles"
      description={`User roles for ${userDisplayName(user)}.`}
      query={q}
      onQuery={setQ}
      searchLabel="Search roles"
      listLabel="User roles"
      loadingText="Loading roles…"
      empty={() => 'No user role to assign.'}
      items={all}
      rows={rows}
      keyOf={(r) => r.id}
      render={roleItem}
      noun={['role', 'roles']}
      assign={(picked) => api.post(`/api/users/${enc(user.id)}/roles`, { roleIds: picked.map((r) => r.id) })}
      onClose={onClose}
      onDone={onDone}
    />
  );
}
