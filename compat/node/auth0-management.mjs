// Auth0's own Node SDK (auth0 7, ManagementClient) driving Monban's
// Management API v2 with clientId and clientSecret, as Auth0's docs set it
// up: the SDK gets its own token at https://{domain}/oauth/token (audience
// https://{domain}/api/v2/, no scope: every scope of the app's client
// grant), then users, clients, resource servers, client grants, roles,
// connections and logs.
//
// Monban serves HTTPS itself (MONBAN_TLS_CERT_FILE) and the process trusts
// its certificate through NODE_EXTRA_CA_CERTS: the SDK runs unchanged, with
// no mapping of requests. The fetch given to the SDK only records them.
//
// Run again as behind a TLS-terminating proxy (MONBAN_ENDPOINT=https://
// {domain} on a plain-HTTP listener), MONBAN_URL names the listener and
// every request for https://{domain} is sent there instead, the SDK's
// included, as the proxy would.
//
// Environment: MONBAN_DOMAIN (host:port of https://host:port), CLIENT_ID,
// CLIENT_SECRET (an app holding the v2 permissions), MONBAN_URL (only
// behind the proxy). Prints {passed, failed} (see steps.mjs).
import { ManagementClient, ManagementError } from 'auth0';
import { steps, check, claims, sameSet } from './steps.mjs';

const domain = process.env.MONBAN_DOMAIN;
const origin = `https://${domain}`;
const tag = `sdk${Date.now().toString(36)}`;
const { step, done } = steps();

if (process.env.MONBAN_URL) {
  const upstream = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.startsWith(`${origin}/`)) throw new Error(`unexpected request to ${url}`);
    return upstream(process.env.MONBAN_URL + url.slice(origin.length), init);
  };
}

const seen = [];
const recordingFetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  const res = await fetch(input, init);
  const entry = { method: init?.method ?? 'GET', url, status: res.status };
  if (url === `${origin}/oauth/token`) {
    entry.body = String(init?.body);
    entry.answer = await res.clone().json();
  }
  seen.push(entry);
  return res;
};

const mgmt = new ManagementClient({
  domain, clientId: process.env.CLIENT_ID, clientSecret: process.env.CLIENT_SECRET, fetch: recordingFetch,
});

// status runs fn and returns the ManagementError's status (or 'no error').
async function status(fn) {
  try {
    await fn();
    return 'no error';
  } catch (e) {
    if (!(e instanceof ManagementError)) throw e;
    return `${e.statusCode} ${e.body?.errorCode ?? ''}`.trim();
  }
}

// token asks /oauth/token for a client_credentials token as Auth0's docs
// show it (a JSON body); returns [status, body].
async function token(clientId, clientSecret, audience, scope) {
  const body = { client_id: clientId, client_secret: clientSecret, audience, grant_type: 'client_credentials' };
  if (scope) body.scope = scope;
  const res = await fetch(`${origin}/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return [res.status, await res.json()];
}

let user;
let role;
let api;
let robot;
let grant;
let web;

await step('token: clientId and clientSecret at /oauth/token', async () => {
  const first = await mgmt.users.list({ per_page: 1, page: 0 });
  check(Array.isArray(first.data), 'users.list', first);
  const t = seen[0];
  check(t && t.method === 'POST' && t.url === `${origin}/oauth/token` && t.status === 200, 'first request', t);
  const sent = new URLSearchParams(t.body);
  check(sent.get('grant_type') === 'client_credentials' && sent.get('audience') === `${origin}/api/v2/` && !sent.has('scope'), 'token request', t.body);
  check(t.answer.token_type === 'Bearer' && t.answer.expires_in > 0, 'token answer', t.answer);
  const c = claims(t.answer.access_token);
  check(c.iss === `${origin}/` && c.aud === `${origin}/api/v2/` && c.sub === `${process.env.CLIENT_ID}@clients` && c.gty === 'client-credentials', 'token claims', c);
  const scopes = c.scope.split(' ');
  for (const s of ['read:users', 'create:users', 'create:client_grants', 'read:resource_servers', 'delete:roles']) {
    check(scopes.includes(s), `scope ${s}`, c.scope);
  }
  check(seen.filter((r) => r.url.endsWith('/oauth/token')).length === 1, 'one token request', seen);
});

await step('users: create, list with q, get, update, by e-mail', async () => {
  user = await mgmt.users.create({
    connection: 'Username-Password-Authentication', email: `${tag}@example.com`, password: 'correct horse battery',
    name: 'SDK User', user_metadata: { theme: 'dark' }, app_metadata: { plan: tag },
  });
  check(user.user_id.startsWith('auth0|') && user.email === `${tag}@example.com` && user.identities?.[0]?.connection === 'Username-Password-Authentication', 'created', user);
  check(user.user_metadata?.theme === 'dark' && user.app_metadata?.plan === tag, 'metadata', user);
  const page = await mgmt.users.list({ q: `app_metadata.plan:${tag}`, search_engine: 'v3', per_page: 10, page: 0 });
  check(page.data.length === 1 && page.data[0].user_id === user.user_id, 'users.list q', page.data);
  check((await mgmt.users.get(user.user_id)).email === `${tag}@example.com`, 'users.get', null);
  const updated = await mgmt.users.update(user.user_id, { name: 'SDK User 2', blocked: true, app_metadata: { plan: tag, seats: 3 } });
  check(updated.name === 'SDK User 2' && updated.blocked === true && updated.app_metadata?.seats === 3, 'users.update', updated);
  const unblocked = await mgmt.users.update(user.user_id, { blocked: false });
  check(unblocked.blocked === false, 'unblocked', unblocked);
  const byEmail = await mgmt.users.listUsersByEmail({ email: `${tag.toUpperCase()}@EXAMPLE.COM` });
  check(byEmail.length === 1 && byEmail[0].user_id === user.user_id, 'users-by-email', byEmail);
});

await step('resource servers: create with scopes, get, update, list', async () => {
  api = await mgmt.resourceServers.create({
    name: `Orders ${tag}`, identifier: `https://${tag}.orders.example`, token_lifetime: 86400,
    scopes: [{ value: 'read:orders', description: 'Read orders' }, { value: 'write:orders', description: 'Write orders' }],
  });
  check(api.identifier === `https://${tag}.orders.example` && api.token_lifetime === 86400 && api.is_system === false, 'created', api);
  check(sameSet(api.scopes.map((s) => s.value), ['read:orders', 'write:orders']), 'scopes', api.scopes);
  const got = await mgmt.resourceServers.get(api.id);
  check(got.name === `Orders ${tag}`, 'get', got);
  const updated = await mgmt.resourceServers.update(api.id, {
    scopes: [{ value: 'read:orders', description: 'Read orders' }, { value: 'write:orders', description: 'Write orders' }, { value: 'delete:orders', description: 'Delete orders' }],
  });
  check(updated.scopes.length === 3, 'update scopes', updated.scopes);
  const list = await mgmt.resourceServers.list({ per_page: 50 });
  const ids = list.data.map((r) => r.identifier);
  check(ids.includes(api.identifier) && ids.includes(`${origin}/api/v2/`), 'list', ids);
});

await step('clients: create, get, update, list, rotate secret', async () => {
  web = await mgmt.clients.create({
    name: `Web ${tag}`, app_type: 'regular_web', callbacks: ['https://web.example/callback'], allowed_logout_urls: ['https://web.example/'],
  });
  check(web.app_type === 'regular_web' && web.client_secret && web.callbacks?.[0] === 'https://web.example/callback', 'created', web);
  check((await mgmt.clients.get(web.client_id)).name === `Web ${tag}`, 'get', null);
  const updated = await mgmt.clients.update(web.client_id, { name: `Web ${tag} 2`, web_origins: ['https://web.example'] });
  check(updated.name === `Web ${tag} 2` && updated.web_origins?.[0] === 'https://web.example', 'update', updated);
  robot = await mgmt.clients.create({ name: `Robot ${tag}`, app_type: 'non_interactive' });
  check(robot.app_type === 'non_interactive' && robot.grant_types?.includes('client_credentials') && robot.client_secret, 'non_interactive', robot);
  const list = await mgmt.clients.list({ per_page: 50 });
  const ids = list.data.map((c) => c.client_id);
  check(ids.includes(web.client_id) && ids.includes(robot.client_id), 'list', ids);
  const rotated = await mgmt.clients.rotateSecret(robot.client_id);
  check(rotated.client_secret && rotated.client_secret !== robot.client_secret, 'rotate-secret', rotated);
  const [old] = await token(robot.client_id, robot.client_secret, api.identifier);
  check(old === 401, 'the old secret after rotation', old);
  robot.client_secret = rotated.client_secret;
});

await step('client grants: create, list, update, delete, as /oauth/token sees them', async () => {
  let [s, b] = await token(robot.client_id, robot.client_secret, api.identifier);
  check(s === 403 && b.error === 'access_denied', 'no grant yet', [s, b]);
  grant = await mgmt.clientGrants.create({ client_id: robot.client_id, audience: api.identifier, scope: ['read:orders'] });
  check(grant.client_id === robot.client_id && grant.audience === api.identifier && sameSet(grant.scope, ['read:orders']), 'created', grant);
  const list = await mgmt.clientGrants.list({ client_id: robot.client_id });
  check(list.data.length === 1 && list.data[0].id === grant.id, 'list by client_id', list.data);
  [s, b] = await token(robot.client_id, robot.client_secret, api.identifier);
  check(s === 200 && b.expires_in === 86400 && claims(b.access_token).scope === 'read:orders', 'token under the grant', [s, b]);
  [s, b] = await token(robot.client_id, robot.client_secret, api.identifier, 'write:orders');
  check(s === 403 && b.error === 'access_denied', 'a scope outside the grant', [s, b]);
  const updated = await mgmt.clientGrants.update(grant.id, { scope: ['read:orders', 'write:orders'] });
  check(sameSet(updated.scope, ['read:orders', 'write:orders']), 'update', updated);
  [s, b] = await token(robot.client_id, robot.client_secret, api.identifier);
  check(s === 200 && sameSet(claims(b.access_token).scope.split(' '), ['read:orders', 'write:orders']), 'token after update', [s, b]);
  await mgmt.clientGrants.delete(grant.id);
  [s, b] = await token(robot.client_id, robot.client_secret, api.identifier);
  check(s === 403 && b.error === 'access_denied', 'token after delete', [s, b]);
});

await step('client grants: a narrow grant to /api/v2/ is enforced', async () => {
  const v2 = await mgmt.clientGrants.create({ client_id: robot.client_id, audience: `${origin}/api/v2/`, scope: ['read:users'] });
  const narrow = new ManagementClient({ domain, clientId: robot.client_id, clientSecret: robot.client_secret });
  const page = await narrow.users.list({ q: `app_metadata.plan:${tag}`, search_engine: 'v3' });
  check(page.data.length === 1, 'read:users', page.data);
  const refused = await status(() => narrow.users.create({ connection: 'Username-Password-Authentication', email: `x-${tag}@example.com`, password: 'correct horse battery' }));
  check(refused === '403 insufficient_scope', 'create:users without the scope', refused);
  // The SDK's pager follows next across pages of one grant each.
  const again = await mgmt.clientGrants.create({ client_id: robot.client_id, audience: api.identifier, scope: ['read:orders'] });
  const walked = [];
  const first = await mgmt.clientGrants.list({ client_id: robot.client_id, take: 1 });
  check(first.data.length === 1 && first.hasNextPage(), 'first page of one', first.data);
  for await (const g of first) walked.push(g.audience);
  check(sameSet(walked, [`${origin}/api/v2/`, api.identifier]), 'every page', walked);
  await mgmt.clientGrants.delete(again.id);
  await mgmt.clientGrants.delete(v2.id);
});

await step('client grants: the admin app\'s, from its role, as /oauth/token grants them', async () => {
  const mine = await mgmt.clientGrants.list({ client_id: process.env.CLIENT_ID });
  const v2 = mine.data.find((g) => g.audience === `${origin}/api/v2/`);
  check(v2 && v2.scope.includes('read:users') && v2.scope.includes('delete:client_grants'), 'the v2 grant is listed', mine.data);
  const narrowed = await status(() => mgmt.clientGrants.update(v2.id, { scope: ['read:users'] }));
  check(narrowed === '409 conflict', 'narrowing a grant a shared role makes', narrowed);
});

await step('resource servers: Auth0\'s RBAC settings are the API\'s', async () => {
  const set = await mgmt.resourceServers.update(api.id, { enable_rbac: false, token_dialect: 'access_token_authz' });
  check(set.enable_rbac === false && set.token_dialect === 'access_token_authz', 'set', set);
  const again = await mgmt.clientGrants.create({ client_id: robot.client_id, audience: api.identifier, scope: ['read:orders'] });
  const [s, b] = await token(robot.client_id, robot.client_secret, api.identifier);
  check(s === 200 && sameSet(claims(b.access_token).permissions ?? [], ['read:orders']), 'the permissions claim', [s, b]);
  await mgmt.clientGrants.delete(again.id);
  const back = await mgmt.resourceServers.update(api.id, { enable_rbac: true, token_dialect: 'access_token' });
  check(back.enable_rbac === true && back.token_dialect === 'access_token', 'set back', back);
});

await step('roles: create, permissions, users; a user\'s roles and permissions', async () => {
  role = await mgmt.roles.create({ name: `reader-${tag}`, description: 'made by the SDK' });
  await mgmt.roles.permissions.add(role.id, { permissions: [{ resource_server_identifier: api.identifier, permission_name: 'read:orders' }] });
  const perms = await mgmt.roles.permissions.list(role.id);
  check(perms.data.length === 1 && perms.data[0].permission_name === 'read:orders' && perms.data[0].resource_server_identifier === api.identifier, 'role permissions', perms.data);
  await mgmt.roles.users.assign(role.id, { users: [user.user_id] });
  const members = await mgmt.roles.users.list(role.id);
  check(members.data.map((u) => u.user_id).includes(user.user_id), 'role users', members.data);
  const userRoles = await mgmt.users.roles.list(user.user_id);
  check(userRoles.data.map((r) => r.name).includes(`reader-${tag}`), 'users.roles.list', userRoles.data);
  const userPerms = await mgmt.users.permissions.list(user.user_id);
  check(userPerms.data.some((p) => p.permission_name === 'read:orders' && p.resource_server_identifier === api.identifier), 'users.permissions.list', userPerms.data);
  const roles = await mgmt.roles.list({ name_filter: `reader-${tag}` });
  check(roles.data.length === 1 && roles.data[0].id === role.id, 'roles.list name_filter', roles.data);
  await mgmt.users.roles.delete(user.user_id, { roles: [role.id] });
  check((await mgmt.users.roles.list(user.user_id)).data.every((r) => r.id !== role.id), 'users.roles.delete', null);
});

await step('connections and logs', async () => {
  const conns = await mgmt.connections.list();
  check(conns.data.length >= 1 && conns.data[0].name === 'Username-Password-Authentication' && conns.data[0].strategy === 'auth0', 'connections', conns.data);
  // The audit log is written in the background: wait for the first event.
  let logs;
  for (let i = 0; i < 50; i++) {
    logs = await mgmt.logs.list({ search: 'type:seccft', per_page: 20 });
    if (logs.data.length > 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  check(logs.data.length > 0 && logs.data.every((l) => l.type === 'seccft'), 'logs type:seccft', logs.data.slice(0, 2));
});

await step('errors: a missing user is ManagementError 404', async () => {
  const s = await status(() => mgmt.users.get('auth0|missing'));
  check(s === '404 inexistent_user', 'users.get missing', s);
});

await step('clean-up: delete role, grant, clients, resource server, user', async () => {
  await mgmt.roles.delete(role.id);
  await mgmt.clients.delete(web.client_id);
  await mgmt.clients.delete(robot.client_id);
  await mgmt.resourceServers.delete(api.id);
  await mgmt.users.delete(user.user_id);
  const s = await status(() => mgmt.users.get(user.user_id));
  check(s === '404 inexistent_user', 'deleted user', s);
  check(seen.every((r) => r.url.startsWith(`${origin}/`)), 'every request to the domain', seen.map((r) => r.url));
});

done({ requests: seen.length });
