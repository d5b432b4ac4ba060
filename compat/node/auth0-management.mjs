// Auth0's own Node SDK (auth0, ManagementClient) driving Monban's
// Management API v2: users, clients, roles. The SDK insists on
// https://{domain}; its fetch maps that origin onto the loopback listener,
// as a TLS-terminating proxy in front of Monban would.
//
// Environment: MONBAN_URL (the listener, http://127.0.0.1:port),
// MONBAN_DOMAIN (the public host of MONBAN_ENDPOINT), MONBAN_V2_TOKEN (a
// token for {endpoint}/api/v2/). Prints one JSON line: {ok: true, ...} or
// {ok: false, step, error}.
import { ManagementClient, ManagementError } from 'auth0';

const base = process.env.MONBAN_URL;
const domain = process.env.MONBAN_DOMAIN;
const origin = `https://${domain}`;
const requests = [];

const loopbackFetch = (input, init) => {
  const url = typeof input === 'string' ? input : input.url;
  if (!url.startsWith(origin + '/')) {
    throw new Error(`unexpected request to ${url}`);
  }
  requests.push(`${init?.method ?? 'GET'} ${url.slice(origin.length)}`);
  return fetch(base + url.slice(origin.length), init);
};

let step = 'construct';
const out = { ok: false };
try {
  const client = new ManagementClient({ domain, token: process.env.MONBAN_V2_TOKEN, fetch: loopbackFetch });

  step = 'users.create';
  const user = await client.users.create({
    connection: 'Username-Password-Authentication', email: 'sdk.user@example.com', password: 'correct horse battery',
    name: 'SDK User', user_metadata: { theme: 'dark' }, app_metadata: { plan: 'gold' },
  });
  out.user_id = user.user_id;

  step = 'users.list';
  const page = await client.users.list({ q: 'app_metadata.plan:gold', search_engine: 'v3', per_page: 10, page: 0 });
  out.listed = page.data.map((u) => u.email);

  step = 'users.get';
  out.got = (await client.users.get(user.user_id)).email;

  step = 'users.update';
  out.updated = (await client.users.update(user.user_id, { name: 'SDK User 2', blocked: true })).blocked;

  step = 'users.listUsersByEmail';
  out.byEmail = (await client.users.listUsersByEmail({ email: 'SDK.USER@example.com' })).length;

  step = 'clients.create';
  const app = await client.clients.create({ name: 'SDK App', app_type: 'spa', callbacks: ['https://sdk.example/cb'] });
  out.client_type = app.app_type;

  step = 'clients.update';
  out.client_name = (await client.clients.update(app.client_id, { name: 'SDK App 2' })).name;

  step = 'clients.list';
  out.clients = (await client.clients.list({ per_page: 50 })).data.length;

  step = 'roles.create';
  const role = await client.roles.create({ name: 'sdk-role', description: 'made by the SDK' });

  step = 'roles.users.assign';
  await client.roles.users.assign(role.id, { users: [user.user_id] });

  step = 'users.roles.list';
  out.user_roles = (await client.users.roles.list(user.user_id)).data.map((r) => r.name);

  step = 'roles.list';
  out.roles = (await client.roles.list()).data.map((r) => r.name);

  step = 'users.get missing';
  try {
    await client.users.get('auth0|missing');
    out.missing = 'no error';
  } catch (e) {
    out.missing = e instanceof ManagementError ? e.statusCode : String(e);
  }

  step = 'cleanup';
  await client.roles.delete(role.id);
  await client.clients.delete(app.client_id);
  await client.users.delete(user.user_id);

  out.ok = true;
  out.requests = requests.length;
} catch (e) {
  out.step = step;
  out.error = String(e?.message ?? e);
  out.status = e?.statusCode;
  out.body = e?.body;
}
console.log(JSON.stringify(out));
process.exit(out.ok ? 0 : 1);
