import { api } from '../api';
import { useAsync, useTitle } from '../hooks';
import { Link } from '../router';
import type { JwtCustomizer, TokenType } from '../types';
import { Icon } from '../ui/icons';
import { Badge, Card, ErrorBanner, formatDate, PageHeader } from '../ui/ui';
import { tokenTypeInfo } from './jwtReference';

const keyOf: Record<string, TokenType> = { 'jwt.accessToken': 'access-token', 'jwt.clientCredentials': 'client-credentials' };

export function CustomJwt() {
  useTitle('Custom JWT');
  const list = useAsync(async () => {
    const rows = await api.get<{ key: string; value: JwtCustomizer }[]>('/api/configs/jwt-customizer');
    const out: Partial<Record<TokenType, JwtCustomizer>> = {};
    for (const r of rows) if (keyOf[r.key]) out[keyOf[r.key]] = r.value;
    return out;
  }, []);
  return (
    <div class="page">
      <PageHeader
        title="Custom JWT"
        subtitle={
          <>
            Add claims to access tokens with a JavaScript function, <code>getCustomJwtClaims</code>, run by Monban at every issuance in a sandbox. It may read the
            token, the app and user, call an API with <code>fetch</code>, or refuse the token.
          </>
        }
      />
      {list.error ? <ErrorBanner error={list.error} onRetry={list.reload} title="Custom JWT settings could not be loaded" /> : null}
      <div class="jwt-cards">
        {(['client-credentials', 'access-token'] as TokenType[]).map((tt) => {
          const info = tokenTypeInfo[tt];
          const cfg = list.data?.[tt];
          return (
            <Card key={tt} class="jwt-card">
              <div class="jwt-card-top">
                <span class={`app-icon ${tt === 'access-token' ? 'app-icon-user-role' : 'app-icon-MachineToMachine'}`} aria-hidden="true">
                  <Icon name={tt === 'access-token' ? 'users' : 'robot'} size={20} />
                </span>
                {list.loading && !list.data ? <Badge>Loading…</Badge> : cfg ? <Badge tone="success">Active</Badge> : <Badge>Not set</Badge>}
              </div>
              <h2 class="card-title">{info.title}</h2>
              <p class="card-desc">{info.text}</p>
              {cfg && (
                <ul class="jwt-facts">
                  <li>Updated {formatDate(cfg.updatedAt)}</li>
                  <li>
                    {Object.keys(cfg.environmentVariables ?? {}).length} environment variable{Object.keys(cfg.environmentVariables ?? {}).length === 1 ? '' : 's'}
                  </li>
                  <li>{cfg.blockIssuanceOnError ? 'Blocks issuance when the script fails' : 'Issues tokens without custom claims when the script fails'}</li>
                </ul>
              )}
              <div class="jwt-card-action">
                <Link class={`btn ${cfg ? 'btn-secondary' : 'btn-primary'}`} href={`/custom-jwt/${tt}`}>
                  <Icon name={cfg ? 'edit' : 'plus'} size={18} />
                  <span>{cfg ? 'Edit custom claims' : 'Add custom claims'}</span>
                </Link>
              </div>
            </Card>
          );
        })}
      </div>
    </div>
  );
}
