// Sign-in of the console's admin: authorization code with PKCE (S256)
// against this server, as a public client. Tokens live in memory only; a
// reload signs in again, silently when the hosted sign-in session is alive.
// Only the PKCE verifier, state and nonce of a sign-in under way are kept
// in sessionStorage, for the length of the redirect.

export interface ConsoleConfig {
  endpoint: string;
  issuer: string;
  clientId: string;
  managementApiIndicator: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint: string;
  endSessionEndpoint: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  scope: string;
}

export interface Identity {
  sub: string;
  name?: string;
  username?: string;
  email?: string;
}

interface Tokens {
  accessToken: string;
  expiresAt: number; // ms since epoch
  refreshToken?: string;
  idToken?: string;
  scope: string;
}

interface PendingSignIn {
  state: string;
  verifier: string;
  nonce: string;
  returnTo: string;
  startedAt: number;
}

const PENDING_KEY = 'monban.console.signin';
const BASE = '/console';

let config: ConsoleConfig | null = null;
let tokens: Tokens | null = null;
let identity: Identity | null = null;
let refreshing: Promise<boolean> | null = null;

export class SignInError extends Error {
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch(`${BASE}/config.json`, { cache: 'no-store', credentials: 'same-origin' });
  if (!res.ok) throw new SignInError('The console configuration could not be loaded.', `HTTP ${res.status}`);
  config = (await res.json()) as ConsoleConfig;
  return config;
}

export function getConfig(): ConsoleConfig {
  if (!config) throw new Error('configuration not loaded');
  return config;
}

export function currentIdentity(): Identity | null {
  return identity;
}

export function grantedScope(): string {
  return tokens?.scope ?? '';
}

function b64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32): string {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return b64url(a);
}

async function challengeOf(verifier: string): Promise<string> {
  if (!crypto.subtle) {
    throw new SignInError(
      'This page is not a secure context.',
      'Signing in with PKCE needs https (or localhost). Open the console at its https address.',
    );
  }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return b64url(new Uint8Array(digest));
}

function decodeJwtPayload(jwt: string): Record<string, unknown> | null {
  const part = jwt.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Sends the browser to the authorization endpoint; it never returns. */
export async function startSignIn(returnTo: string): Promise<never> {
  const cfg = getConfig();
  const pending: PendingSignIn = {
    state: randomString(),
    verifier: randomString(48),
    nonce: randomString(),
    returnTo: returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/',
    startedAt: Date.now(),
  };
  const challenge = await challengeOf(pending.verifier);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(cfg.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: cfg.redirectUri,
    scope: cfg.scope,
    resource: cfg.managementApiIndicator,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: pending.state,
    nonce: pending.nonce,
  }).toString();
  window.location.assign(url.toString());
  return new Promise<never>(() => {});
}

async function tokenRequest(body: Record<string, string>): Promise<Tokens> {
  const cfg = getConfig();
  const res = await fetch(cfg.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(body).toString(),
    credentials: 'omit',
    cache: 'no-store',
  });
  let data: Record<string, unknown> = {};
  try {
    data = (await res.json()) as Record<string, unknown>;
  } catch {
    /* not JSON */
  }
  if (!res.ok || typeof data.access_token !== 'string') {
    const desc = (data.error_description as string) || (data.error as string) || `HTTP ${res.status}`;
    throw new SignInError('The token endpoint refused the sign-in.', desc);
  }
  const expiresIn = typeof data.expires_in === 'number' ? data.expires_in : 3600;
  return {
    accessToken: data.access_token,
    expiresAt: Date.now() + expiresIn * 1000,
    refreshToken: typeof data.refresh_token === 'string' ? data.refresh_token : tokens?.refreshToken,
    idToken: typeof data.id_token === 'string' ? data.id_token : tokens?.idToken,
    // A response may leave out scope when it is the one asked for (RFC 6749
    // §5.1); the access token says it too.
    scope: typeof data.scope === 'string' ? data.scope : String(decodeJwtPayload(data.access_token)?.scope ?? ''),
  };
}

function setIdentity(t: Tokens) {
  const id = t.idToken ? decodeJwtPayload(t.idToken) : null;
  const at = decodeJwtPayload(t.accessToken);
  const src = id ?? at ?? {};
  identity = {
    sub: String(src.sub ?? ''),
    name: typeof src.name === 'string' ? src.name : undefined,
    username: typeof src.username === 'string' ? src.username : undefined,
    email: typeof src.email === 'string' ? src.email : undefined,
  };
}

/**
 * Completes a sign-in on the callback page: checks state, exchanges the code
 * and returns the path to go back to.
 */
export async function completeSignIn(search: string): Promise<string> {
  const params = new URLSearchParams(search);
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = raw ? (JSON.parse(raw) as PendingSignIn) : null;
  const error = params.get('error');
  if (error) {
    throw new SignInError('Sign-in did not complete.', params.get('error_description') || error);
  }
  const code = params.get('code');
  if (!pending || !code || params.get('state') !== pending.state) {
    throw new SignInError(
      'This sign-in response does not belong to a sign-in started here.',
      'It may have been opened twice or in another tab. Start again.',
    );
  }
  const cfg = getConfig();
  const t = await tokenRequest({
    grant_type: 'authorization_code',
    code,
    redirect_uri: cfg.redirectUri,
    client_id: cfg.clientId,
    code_verifier: pending.verifier,
    resource: cfg.managementApiIndicator,
  });
  if (t.idToken) {
    const claims = decodeJwtPayload(t.idToken);
    if (claims && claims.nonce !== undefined && claims.nonce !== pending.nonce) {
      throw new SignInError('The ID token does not match this sign-in.', 'nonce mismatch');
    }
  }
  tokens = t;
  setIdentity(t);
  return pending.returnTo;
}

/** Uses the refresh token for a new access token; false when that fails. */
export function refresh(): Promise<boolean> {
  if (!tokens?.refreshToken) return Promise.resolve(false);
  refreshing ??= (async () => {
    const cfg = getConfig();
    try {
      const t = await tokenRequest({
        grant_type: 'refresh_token',
        refresh_token: tokens!.refreshToken!,
        client_id: cfg.clientId,
        resource: cfg.managementApiIndicator,
      });
      tokens = t;
      setIdentity(t);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

/** The access token, refreshed when it is about to expire; null when none. */
export async function accessToken(): Promise<string | null> {
  if (!tokens) return null;
  if (tokens.expiresAt - Date.now() < 30_000) {
    if (!(await refresh())) return null;
  }
  return tokens.accessToken;
}

export function signedIn(): boolean {
  return tokens !== null;
}

/** Ends the session at the server and comes back to the console. */
export async function signOut(): Promise<void> {
  const cfg = getConfig();
  const t = tokens;
  tokens = null;
  identity = null;
  if (t?.refreshToken) {
    try {
      await fetch(cfg.revocationEndpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: t.refreshToken, token_type_hint: 'refresh_token', client_id: cfg.clientId }).toString(),
        credentials: 'omit',
      });
    } catch {
      /* the session ends anyway */
    }
  }
  const url = new URL(cfg.endSessionEndpoint);
  const q = new URLSearchParams({ client_id: cfg.clientId, post_logout_redirect_uri: cfg.postLogoutRedirectUri });
  if (t?.idToken) q.set('id_token_hint', t.idToken);
  url.search = q.toString();
  window.location.assign(url.toString());
}
