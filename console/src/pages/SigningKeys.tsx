import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { getConfig } from '../auth';
import { useAction, useAsync, useTitle } from '../hooks';
import type { SigningKey } from '../types';
import { ListTable } from '../ui/ListPage';
import { Badge, Banner, Button, Card, cx, Dialog, EmptyState, ErrorBanner, formatDate, formatRelative, FormButtons, PageHeader, toast } from '../ui/ui';
import { CopyValue } from '../ui/CopyValue';

const algorithms = [
  { value: 'ES256', label: 'ES256', text: 'ECDSA P-256 with SHA-256. Small and fast; the default.' },
  { value: 'ES384', label: 'ES384', text: 'ECDSA P-384 with SHA-384.' },
  { value: 'RS256', label: 'RS256', text: 'RSA 2048 with SHA-256, for clients that only know RSA.' },
  { value: 'EdDSA', label: 'EdDSA', text: 'Ed25519. Compact and fast, not yet supported everywhere.' },
];

const statusTone = { Current: 'success', Next: 'info', Previous: 'neutral' } as const;
const statusOrder = { Next: 0, Current: 1, Previous: 2 } as const;

export function SigningKeys() {
  useTitle('Signing keys');
  const keys = useAsync(() => api.get<SigningKey[]>('/api/configs/oidc/private-keys'), []);
  const [rotating, setRotating] = useState(false);
  const rows = (keys.data ?? []).slice().sort((a, b) => statusOrder[a.status] - statusOrder[b.status] || b.createdAt - a.createdAt);
  const current = rows.find((k) => k.status === 'Current');
  const next = rows.find((k) => k.status === 'Next');
  const cfg = getConfig();
  // A next key becomes current on its own once it has been published long
  // enough: look again every few seconds until it has.
  useEffect(() => {
    if (!next) return;
    const t = window.setTimeout(keys.reload, 4000);
    return () => clearTimeout(t);
  }, [next?.id, keys.data]);
  return (
    <div class="page">
      <PageHeader
        title="Signing keys"
        subtitle="The private keys that sign tokens. Their public halves are published for APIs to verify tokens; key material never leaves the server."
        actions={
          <Button variant="primary" icon="refresh" onClick={() => setRotating(true)}>
            Rotate key
          </Button>
        }
      />
      <Card title="Published keys (JWKS)" description="APIs fetch the public keys from here and pick one by the token's kid.">
        <div class="kv-grid">
          <CopyValue label="JWKS URI" value={`${cfg.issuer}/jwks`} />
          <CopyValue label="Issuer" value={cfg.issuer} />
        </div>
      </Card>
      {keys.error ? <ErrorBanner error={keys.error} onRetry={keys.reload} title="Signing keys could not be loaded" /> : null}
      {next && (
        <Banner tone="info" icon="refresh">
          The new {next.signingKeyAlgorithm} key <code>{next.id}</code> is published and becomes current shortly, once every instance and every API's JWKS cache can have
          it. Until then tokens are signed with the current key.
        </Banner>
      )}
      <Card
        title="Private keys"
        description="Next: published, not signing yet. Current: signs new tokens. Previous: still published until every token it signed has expired."
        padded={false}
      >
        <ListTable heads={[{ label: 'Key ID (kid)' }, { label: 'Algorithm' }, { label: 'Status' }, { label: 'Created', hide: 'sm' }]} loading={keys.loading && !keys.data} skeletonRows={2}>
          {rows.map((k) => (
            <tr key={k.id} class={cx(k.status === 'Previous' && 'row-muted')}>
              <td>
                <code class="mono-sm">{k.id}</code>
              </td>
              <td>
                <code class="tag">{k.signingKeyAlgorithm}</code>
              </td>
              <td>
                <Badge tone={statusTone[k.status]}>{k.status}</Badge>
              </td>
              <td class="hide-sm nowrap" title={formatDate(k.createdAt)}>
                {formatRelative(k.createdAt)}
              </td>
            </tr>
          ))}
        </ListTable>
        {keys.data && rows.length === 0 && <EmptyState icon="key" title="No signing keys" />}
      </Card>
      <RotateDialog open={rotating} current={current?.signingKeyAlgorithm} onClose={() => setRotating(false)} onDone={keys.reload} />
    </div>
  );
}

function RotateDialog({ open, current, onClose, onDone }: { open: boolean; current?: string; onClose: () => void; onDone: () => void }) {
  const [alg, setAlg] = useState('');
  const { busy, error, setError, run } = useAction();
  const chosen = alg || current || 'ES256';
  const close = () => {
    if (busy) return;
    setAlg('');
    setError(null);
    onClose();
  };
  const submit = async () => {
    await run(async () => {
      await api.post('/api/configs/oidc/private-keys/rotate', { signingKeyAlgorithm: chosen });
      toast(`Key rotated: a new ${chosen} key is published`);
      onDone();
      setAlg('');
      onClose();
    });
  };
  return (
    <Dialog
      open={open}
      title="Rotate signing key"
      description="Creates a new private key. It is published at once and signs new tokens once APIs have had time to fetch it. Tokens already issued stay valid."
      onClose={close}
      busy={busy}
      onSubmit={submit}
      footer={
        <FormButtons onCancel={close} busy={busy} label="Rotate key" />
      }
    >
      <fieldset class="field">
        <legend class="field-label">Algorithm of the new key</legend>
        <div class="radio-list">
          {algorithms.map((a) => (
            <label key={a.value} class={cx('radio-card', chosen === a.value && 'is-selected')}>
              <input type="radio" name="alg" value={a.value} checked={chosen === a.value} onChange={() => setAlg(a.value)} />
              <span>
                <strong>
                  {a.label}
                  {a.value === current && <span class="muted"> · current</span>}
                </strong>
                <span class="pick-sub">{a.text}</span>
              </span>
            </label>
          ))}
        </div>
      </fieldset>
      <Banner tone="info">APIs that cache the JWKS pick up the new key the first time they see its kid. Changing the algorithm matters only to clients that pin one.</Banner>
      {error ? <ErrorBanner error={error} title="The key could not be rotated" /> : null}
    </Dialog>
  );
}
