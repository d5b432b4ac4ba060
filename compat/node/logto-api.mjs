// Logto's own Management API client, @logto/api, used unchanged against
// Monban: createManagementApi with an M2M app's credentials (client
// credentials at /oidc/token, resource https://{tenant}.logto.app/api,
// scope all), then the routes a migration script calls, each answer checked.
//   LOGTO_ENDPOINT, APP_ID, APP_SECRET, TENANT_ID
// It prints one JSON line: {passed: [step…], failed: [{step, detail}…],
// skipped: [{step, reason}…]}, and exits 1 when a check failed.
import { readFileSync } from 'node:fs';

import { createManagementApi } from '@logto/api/management';

import { makeDigests } from './digests.mjs';
import { hooks } from './logto-api-hooks.mjs';

const endpoint = process.env.LOGTO_ENDPOINT;
const tenantId = process.env.TENANT_ID;

// As Logto's docs show it for a self-hosted Logto: the base URL is the
// server's; the indicator is the default one, https://{tenant}.logto.app/api,
// which the server under test is configured with.
const { apiClient: api, clientCredentials } = createManagementApi(tenantId, {
  clientId: process.env.APP_ID,
  clientSecret: process.env.APP_SECRET,
  baseUrl: endpoint,
});

const report = { passed: [], failed: [], skipped: [] };
let step = '';

// check records a failure of the current step when ok is false.
const check = (ok, detail) => {
  if (!ok) {
    report.failed.push({ step, detail: typeof detail === 'string' ? detail : JSON.stringify(detail) });
  }
  return ok;
};

// run runs one step; an exception fails it and the run goes on.
const run = async (name, f) => {
  step = name;
  const before = report.failed.length;
  try {
    await f();
  } catch (error) {
    check(false, `threw ${error?.stack ?? error}`);
  }
  if (report.failed.length === before) {
    report.passed.push(name);
  }
};

const skip = (name, reason) => report.skipped.push({ step: name, reason });

// ok returns the data of a successful answer with the status wanted, or
// throws with the answer.
const ok = (res, status = 200) => {
  if (res.response.status !== status) {
    throw new Error(`${res.response.status} ${res.response.url}, want ${status}: ${JSON.stringify(res.error ?? res.data)}`);
  }
  return res.data;
};

// refused checks an error answer: its status and Logto's code.
const refused = (res, status, code, mention) => {
  check(
    res.response.status === status && res.error?.code === code && (!mention || String(res.error?.message).includes(mention)),
    `${res.response.status} ${JSON.stringify(res.error ?? res.data)}, want ${status} ${code}${mention ? ` naming ${mention}` : ''}`,
  );
};

// canonical is JSON with object keys sorted, so that same compares values,
// not the order of keys.
const canonical = (v) =>
  JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
const same = (got, want, what) => check(canonical(got) === canonical(want), `${what}: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
const sorted = (list) => [...list].sort();
const ids = (list) => list.map((x) => x.id);

// links parses Logto's Link header into {rel: URL}.
const links = (header) =>
  Object.fromEntries(
    (header ?? '')
      .split(',')
      .map((part) => /<([^>]+)>;\s*rel="(\w+)"/.exec(part.trim()))
      .filter(Boolean)
      .map(([, url, rel]) => [rel, new URL(url)]),
  );

// Every name this run creates starts with the run's tag, so lists can be
// searched down to them while other clients share the server.
const tag = `lapi${Date.now().toString(36)}`;
const state = {};

await run('client credentials token', async () => {
  const { value, scope } = await clientCredentials.getAccessToken();
  check(typeof value === 'string' && value.split('.').length === 3, `token ${value}`);
  check(scope === 'all', `scope ${scope}`);
});

// --- applications ---

await run('applications: create', async () => {
  const web = ok(
    await api.POST('/api/applications', {
      body: {
        name: `${tag} Web`,
        type: 'Traditional',
        description: 'first',
        oidcClientMetadata: { redirectUris: ['https://web.example/callback'], postLogoutRedirectUris: [] },
        customData: { tier: 'gold' },
      },
    }),
  );
  check(web.type === 'Traditional' && web.name === `${tag} Web` && typeof web.secret === 'string' && web.secret.length > 0, web);
  same(web.customData, { tier: 'gold' }, 'customData');
  same(web.oidcClientMetadata.redirectUris, ['https://web.example/callback'], 'redirectUris');
  const m2m = ok(await api.POST('/api/applications', { body: { name: `${tag} Sync`, type: 'MachineToMachine' } }));
  const spa = ok(await api.POST('/api/applications', { body: { name: `${tag} SPA`, type: 'SPA', oidcClientMetadata: { redirectUris: ['https://spa.example/cb'], postLogoutRedirectUris: [] } } }));
  check(m2m.type === 'MachineToMachine' && spa.type === 'SPA', { m2m: m2m.type, spa: spa.type });
  Object.assign(state, { web, m2m, spa });
});

await run('applications: list filtered by search, types, isThirdParty', async () => {
  const search = `%${tag}%`;
  const all = ok(await api.GET('/api/applications', { params: { query: { search } } }));
  same(sorted(ids(all)), sorted([state.web.id, state.m2m.id, state.spa.id]), 'search');
  const some = ok(await api.GET('/api/applications', { params: { query: { search, types: ['MachineToMachine', 'SPA'] } } }));
  same(sorted(ids(some)), sorted([state.m2m.id, state.spa.id]), 'types=MachineToMachine&types=SPA');
  const one = ok(await api.GET('/api/applications', { params: { query: { search, types: ['Traditional'] } } }));
  same(ids(one), [state.web.id], 'types=Traditional');
  const third = ok(await api.GET('/api/applications', { params: { query: { search, isThirdParty: 'true' } } }));
  same(third, [], 'isThirdParty=true');
  const first = ok(await api.GET('/api/applications', { params: { query: { search, isThirdParty: 'false' } } }));
  check(first.length === 3, `isThirdParty=false: ${first.length} applications, want 3`);
  const byName = ok(await api.GET('/api/applications', { params: { query: { search: `${tag} SPA` } } }));
  same(ids(byName), [state.spa.id], 'search without wildcard');
});

await run('applications: pagination, Total-Number and Link', async () => {
  const search = `%${tag}%`;
  const res = await api.GET('/api/applications', { params: { query: { search, page: 1, page_size: 2 } } });
  const page1 = ok(res);
  check(page1.length === 2, `page 1 holds ${page1.length}`);
  check(res.response.headers.get('total-number') === '3', `Total-Number ${res.response.headers.get('total-number')}`);
  const l = links(res.response.headers.get('link'));
  check(l.first?.searchParams.get('page') === '1' && l.next?.searchParams.get('page') === '2' && l.last?.searchParams.get('page') === '2' && !l.prev, `Link ${res.response.headers.get('link')}`);
  check(l.next?.searchParams.get('search') === search && l.next?.searchParams.get('page_size') === '2', `next keeps the other parameters: ${l.next}`);
  const res2 = await api.GET('/api/applications', { params: { query: { search, page: 2, page_size: 2 } } });
  const page2 = ok(res2);
  check(page2.length === 1 && !page1.some((a) => a.id === page2[0].id), 'page 2 holds the third application');
  const l2 = links(res2.response.headers.get('link'));
  check(l2.prev?.searchParams.get('page') === '1' && !l2.next, `Link on the last page ${res2.response.headers.get('link')}`);
  // Without page or page_size the list is whole and, as Logto's
  // koaPagination answers it, carries neither Total-Number nor Link.
  const whole = await api.GET('/api/applications', { params: { query: { search } } });
  check(ok(whole).length === 3 && !whole.response.headers.get('total-number') && !whole.response.headers.get('link'), 'without page, every application and no Total-Number or Link');
  refused(await api.GET('/api/applications', { params: { query: { page: 0 } } }), 400, 'guard.invalid_pagination');
});

await run('applications: get, read-modify-write PATCH, custom-data PATCH', async () => {
  const app = ok(await api.GET('/api/applications/{id}', { params: { path: { id: state.web.id } } }));
  check(app.id === state.web.id && app.name === state.web.name && app.description === 'first', app);
  // The whole object back, one field changed, as a script does.
  const changed = ok(await api.PATCH('/api/applications/{id}', { params: { path: { id: app.id } }, body: { ...app, description: 'second' } }));
  check(changed.description === 'second' && changed.name === app.name && changed.type === app.type, changed);
  same(changed.oidcClientMetadata.redirectUris, app.oidcClientMetadata.redirectUris, 'redirectUris after PATCH');
  const merged = ok(await api.PATCH('/api/applications/{applicationId}/custom-data', { params: { path: { applicationId: app.id } }, body: { region: 'eu' } }));
  same(merged, { tier: 'gold', region: 'eu' }, 'custom data merged');
  const again = ok(await api.GET('/api/applications/{id}', { params: { path: { id: app.id } } }));
  same(again.customData, { tier: 'gold', region: 'eu' }, 'custom data stored');
  check(again.description === 'second', again);
  refused(
    await api.PATCH('/api/applications/{id}', { params: { path: { id: app.id } }, body: { name: 42 } }),
    400,
    'request.invalid_input',
    'name',
  );
});

await run('applications: delete', async () => {
  ok(await api.DELETE('/api/applications/{id}', { params: { path: { id: state.spa.id } } }), 204);
  refused(await api.GET('/api/applications/{id}', { params: { path: { id: state.spa.id } } }), 404, 'entity.not_exists_with_id');
});

// --- resources and scopes ---

await run('resources: create with scopes, includeScopes', async () => {
  const indicator = `https://${tag}.api`;
  const res = ok(await api.POST('/api/resources', { body: { name: `${tag} API`, indicator, accessTokenTtl: 600 } }), 201);
  check(res.indicator === indicator && res.accessTokenTtl === 600, res);
  const read = ok(await api.POST('/api/resources/{resourceId}/scopes', { params: { path: { resourceId: res.id } }, body: { name: 'read:items', description: 'Read items' } }), 201);
  const write = ok(await api.POST('/api/resources/{resourceId}/scopes', { params: { path: { resourceId: res.id } }, body: { name: 'write:items', description: 'Write items' } }), 201);
  Object.assign(state, { resource: res, read, write });
  const list = ok(await api.GET('/api/resources', { params: { query: { includeScopes: 'true' } } }));
  const mine = list.find((r) => r.id === res.id);
  same(sorted(mine?.scopes?.map((s) => s.name) ?? []), ['read:items', 'write:items'], 'includeScopes');
  const byDefault = ok(await api.PATCH('/api/resources/{id}/is-default', { params: { path: { id: res.id } }, body: { isDefault: true } }));
  check(byDefault.isDefault === true, byDefault);
  check(ok(await api.PATCH('/api/resources/{id}/is-default', { params: { path: { id: res.id } }, body: { isDefault: false } })).isDefault === false, 'is-default back to false');
  const plain = ok(await api.GET('/api/resources'));
  check(plain.find((r) => r.id === res.id)?.scopes === undefined, 'scopes without includeScopes');
  refused(await api.POST('/api/resources', { body: { name: 'again', indicator } }), 422, 'resource.resource_identifier_in_use');
});

await run('resources and scopes: read-modify-write PATCH', async () => {
  const resource = ok(await api.GET('/api/resources/{id}', { params: { path: { id: state.resource.id } } }));
  const changed = ok(await api.PATCH('/api/resources/{id}', { params: { path: { id: resource.id } }, body: { ...resource, accessTokenTtl: 900 } }));
  check(changed.accessTokenTtl === 900 && changed.name === resource.name && changed.indicator === resource.indicator, changed);
  const scope = ok(await api.PATCH('/api/resources/{resourceId}/scopes/{scopeId}', {
    params: { path: { resourceId: resource.id, scopeId: state.read.id } },
    body: { ...state.read, description: 'Read every item' },
  }));
  check(scope.description === 'Read every item' && scope.name === 'read:items', scope);
});

await run('scopes: search', async () => {
  const path = { resourceId: state.resource.id };
  const found = ok(await api.GET('/api/resources/{resourceId}/scopes', { params: { path, query: { search: '%read%' } } }));
  same(ids(found), [state.read.id], 'search=%read%');
  const exact = ok(await api.GET('/api/resources/{resourceId}/scopes', { params: { path, query: { search: 'write:items' } } }));
  same(ids(exact), [state.write.id], 'search=write:items');
});

// --- roles ---

await run('roles: create, isDefault, type, search', async () => {
  const reader = ok(
    await api.POST('/api/roles', {
      body: { name: `${tag} reader`, description: 'Default for every new user', type: 'User', isDefault: true, scopeIds: [state.read.id] },
    }),
  );
  check(reader.isDefault === true && reader.type === 'User', reader);
  const staff = ok(await api.POST('/api/roles', { body: { name: `${tag} staff`, description: 'Staff', type: 'User' } }));
  check(staff.isDefault === false, staff);
  const robot = ok(await api.POST('/api/roles', { body: { name: `${tag} robot`, description: 'Robots', type: 'MachineToMachine', scopeIds: [state.write.id] } }));
  Object.assign(state, { reader, staff, robot });
  const search = `%${tag}%`;
  const users = ok(await api.GET('/api/roles', { params: { query: { search, type: 'User' } } }));
  same(sorted(ids(users)), sorted([reader.id, staff.id]), 'type=User');
  const machines = ok(await api.GET('/api/roles', { params: { query: { search, type: 'MachineToMachine' } } }));
  same(ids(machines), [robot.id], 'type=MachineToMachine');
  refused(await api.POST('/api/roles', { body: { name: `${tag} staff`, description: 'again' } }), 422, 'role.name_in_use');
  const role = ok(await api.GET('/api/roles/{id}', { params: { path: { id: staff.id } } }));
  const patched = ok(await api.PATCH('/api/roles/{id}', { params: { path: { id: staff.id } }, body: { ...role, description: 'Staff members' } }));
  check(patched.description === 'Staff members' && patched.name === staff.name, patched);
  const scopes = ok(await api.GET('/api/roles/{id}/scopes', { params: { path: { id: reader.id } } }));
  same(ids(scopes), [state.read.id], "the default role's scopes");
});

await run('applications: roles given to an M2M app', async () => {
  ok(await api.POST('/api/applications/{applicationId}/roles', { params: { path: { applicationId: state.m2m.id } }, body: { roleIds: [state.robot.id] } }), 201);
  const roles = ok(await api.GET('/api/applications/{applicationId}/roles', { params: { path: { applicationId: state.m2m.id } } }));
  same(ids(roles), [state.robot.id], "the app's roles");
  const list = ok(await api.GET('/api/applications', { params: { query: { search: `%${tag}%`, excludeRoleId: state.robot.id } } }));
  same(ids(list), [state.web.id], 'excludeRoleId');
});

// --- users ---

await run('users: create gets the default role', async () => {
  const ada = ok(
    await api.POST('/api/users', {
      body: { username: `${tag}_ada`, primaryEmail: `${tag}.ada@example.com`, name: 'Ada Lovelace', password: 'Analytical-Engine-1843' },
    }),
  );
  check(ada.username === `${tag}_ada` && ada.primaryEmail === `${tag}.ada@example.com` && ada.name === 'Ada Lovelace' && !('passwordDigest' in ada), ada);
  const bob = ok(await api.POST('/api/users', { body: { username: `${tag}_bob`, primaryEmail: `${tag}.ada@example.com.evil.test` } }));
  Object.assign(state, { ada, bob });
  for (const user of [ada, bob]) {
    const roles = ok(await api.GET('/api/users/{userId}/roles', { params: { path: { userId: user.id } } }));
    check(roles.some((r) => r.id === state.reader.id), `${user.username} roles ${JSON.stringify(ids(roles))}, want the default role ${state.reader.id}`);
    check(!roles.some((r) => r.id === state.staff.id), `${user.username} got a role that is not default`);
  }
});

await run('users: search.primaryEmail with mode exact, joint, excludeRoleId', async () => {
  const email = `${tag}.ada@example.com`;
  const exact = ok(await api.GET('/api/users', { params: { query: { 'search.primaryEmail': email, 'mode.primaryEmail': 'exact' } } }));
  same(ids(exact), [state.ada.id], 'search.primaryEmail exact');
  const upper = ok(await api.GET('/api/users', { params: { query: { 'search.primaryEmail': email.toUpperCase(), 'mode.primaryEmail': 'exact' } } }));
  same(ids(upper), [state.ada.id], 'exact without case');
  const cased = ok(await api.GET('/api/users', { params: { query: { 'search.primaryEmail': email.toUpperCase(), 'mode.primaryEmail': 'exact', isCaseSensitive: 'true' } } }));
  same(cased, [], 'exact with isCaseSensitive=true');
  const like = ok(await api.GET('/api/users', { params: { query: { 'search.primaryEmail': `${email}%` } } }));
  same(sorted(ids(like)), sorted([state.ada.id, state.bob.id]), 'search.primaryEmail like with %');
  const and = ok(await api.GET('/api/users', { params: { query: { 'search.username': `${tag}_bob`, 'search.primaryEmail': `${email}%`, joint: 'and' } } }));
  same(ids(and), [state.bob.id], 'joint=and');
  const or = ok(await api.GET('/api/users', { params: { query: { 'search.username': `${tag}_bob`, 'search.primaryEmail': email, 'mode.primaryEmail': 'exact', joint: 'or' } } }));
  same(sorted(ids(or)), sorted([state.ada.id, state.bob.id]), 'joint=or');
  const given = ok(await api.POST('/api/users/{userId}/roles', { params: { path: { userId: state.ada.id } }, body: { roleIds: [state.staff.id, state.reader.id] } }), 201);
  same(given, { roleIds: [state.staff.id, state.reader.id], addedRoleIds: [state.staff.id] }, 'POST user roles answer');
  const others = ok(await api.GET('/api/users', { params: { query: { search: `%${tag}%`, excludeRoleId: state.staff.id } } }));
  same(ids(others), [state.bob.id], 'excludeRoleId');
  refused(await api.GET('/api/users', { params: { query: { search: email, mode: 'posix' } } }), 400, 'request.invalid_input', 'posix');
  const res = await api.GET('/api/users', { params: { query: { search: `%${tag}%`, page: 1, page_size: 1 } } });
  check(ok(res).length === 1 && res.response.headers.get('total-number') === '2', `page_size=1: Total-Number ${res.response.headers.get('total-number')}`);
  check(links(res.response.headers.get('link')).next?.searchParams.get('page') === '2', `Link ${res.response.headers.get('link')}`);
});

await run('roles: counts, featured users, excludeUserId', async () => {
  const list = ok(await api.GET('/api/roles', { params: { query: { search: `%${tag}%` } } }));
  const reader = list.find((r) => r.id === state.reader.id);
  check(reader?.usersCount === 2, `usersCount ${reader?.usersCount}`);
  same(sorted(reader?.featuredUsers?.map((u) => u.id) ?? []), sorted([state.ada.id, state.bob.id]), 'featuredUsers');
  check(reader?.featuredUsers?.every((u) => 'avatar' in u && 'name' in u), `featuredUsers' fields ${JSON.stringify(reader?.featuredUsers)}`);
  const robot = list.find((r) => r.id === state.robot.id);
  check(robot?.applicationsCount === 1 && robot?.featuredApplications?.[0]?.id === state.m2m.id && robot.featuredApplications[0].type === 'MachineToMachine', robot);
  const staff = list.find((r) => r.id === state.staff.id);
  check(staff?.usersCount === 1 && staff.featuredUsers?.[0]?.name === 'Ada Lovelace', staff);
  const notAda = ok(await api.GET('/api/roles', { params: { query: { search: `%${tag}%`, excludeUserId: state.ada.id } } }));
  same(ids(notAda), [state.robot.id], "excludeUserId: Ada's roles and, for a user, the M2M ones are left out");
  const roleUsers = ok(await api.GET('/api/roles/{id}/users', { params: { path: { id: state.staff.id } } }));
  same(ids(roleUsers), [state.ada.id], "the staff role's users");
  const notSync = ok(await api.GET('/api/roles', { params: { query: { search: `%${tag}%`, excludeApplicationId: state.m2m.id } } }));
  same(sorted(ids(notSync)), sorted([state.reader.id, state.staff.id]), 'excludeApplicationId');
});

await run('users: profile PATCH, has-password, password verify', async () => {
  const path = { userId: state.ada.id };
  const first = ok(await api.PATCH('/api/users/{userId}/profile', { params: { path }, body: { profile: { givenName: 'Ada', familyName: 'Lovelace' } } }));
  same(first, { givenName: 'Ada', familyName: 'Lovelace' }, 'profile');
  const second = ok(await api.PATCH('/api/users/{userId}/profile', { params: { path }, body: { profile: { nickname: 'Countess', familyName: 'King' } } }));
  same(second, { givenName: 'Ada', familyName: 'King', nickname: 'Countess' }, 'profile merged');
  const user = ok(await api.GET('/api/users/{userId}', { params: { path } }));
  same(user.profile, second, "the user's profile");
  check(user.ssoIdentities === undefined, 'ssoIdentities without includeSsoIdentities');
  const withSso = ok(await api.GET('/api/users/{userId}', { params: { path, query: { includeSsoIdentities: 'true' } } }));
  same(withSso.ssoIdentities, [], 'includeSsoIdentities');
  refused(await api.PATCH('/api/users/{userId}/profile', { params: { path }, body: { profile: { shoeSize: 9 } } }), 400, 'request.invalid_input', 'shoeSize');
  same(ok(await api.GET('/api/users/{userId}/has-password', { params: { path } })), { hasPassword: true }, 'has-password');
  same(ok(await api.GET('/api/users/{userId}/has-password', { params: { path: { userId: state.bob.id } } })), { hasPassword: false }, 'has-password without one');
  ok(await api.POST('/api/users/{userId}/password/verify', { params: { path }, body: { password: 'Analytical-Engine-1843' } }), 204);
  const wrong = await api.POST('/api/users/{userId}/password/verify', { params: { path }, body: { password: 'Difference-Engine' } });
  check(wrong.response.status === 422 && wrong.error?.code === 'session.invalid_credentials', `wrong password: ${wrong.response.status} ${JSON.stringify(wrong.error)}`);
});

await run('users: read-modify-write PATCH', async () => {
  const path = { userId: state.bob.id };
  const user = ok(await api.GET('/api/users/{userId}', { params: { path } }));
  const changed = ok(await api.PATCH('/api/users/{userId}', { params: { path }, body: { ...user, name: 'Robert', customData: { team: 'blue' } } }));
  check(changed.name === 'Robert' && changed.username === user.username && changed.primaryEmail === user.primaryEmail, changed);
  same(changed.customData, { team: 'blue' }, 'customData');
});

await run('users: identities PUT, GET, DELETE', async () => {
  const path = { userId: state.ada.id, target: 'github' };
  const created = await api.PUT('/api/users/{userId}/identities/{target}', { params: { path }, body: { userId: '1843', details: { login: 'ada' } } });
  same(ok(created, 201), { github: { userId: '1843', details: { login: 'ada' } } }, 'identities after PUT');
  const replaced = await api.PUT('/api/users/{userId}/identities/{target}', { params: { path }, body: { userId: '1843', details: { login: 'countess' } } });
  same(ok(replaced, 200), { github: { userId: '1843', details: { login: 'countess' } } }, 'identities after the second PUT');
  same(ok(await api.GET('/api/users/{userId}/identities/{target}', { params: { path } })), { identity: { userId: '1843', details: { login: 'countess' } } }, 'GET identity');
  const user = ok(await api.GET('/api/users/{userId}', { params: { path: { userId: state.ada.id } } }));
  same(user.identities, { github: { userId: '1843', details: { login: 'countess' } } }, "the user's identities");
  const taken = await api.PUT('/api/users/{userId}/identities/{target}', { params: { path: { userId: state.bob.id, target: 'github' } }, body: { userId: '1843' } });
  refused(taken, 422, 'user.identity_already_in_use');
  const after = ok(await api.DELETE('/api/users/{userId}/identities/{target}', { params: { path } }));
  check(after.id === state.ada.id && JSON.stringify(after.identities) === '{}', `DELETE answers the user: ${JSON.stringify(after)}`);
  refused(await api.GET('/api/users/{userId}/identities/{target}', { params: { path } }), 404, 'user.identity_not_exist');
});

await run('applications: secrets', async () => {
  const path = { id: state.m2m.id };
  const secret = ok(await api.POST('/api/applications/{id}/secrets', { params: { path }, body: { name: 'ci' } }), 201);
  check(secret.name === 'ci' && typeof secret.value === 'string' && secret.value.length >= 32 && secret.expiresAt === null, secret);
  const list = ok(await api.GET('/api/applications/{id}/secrets', { params: { path } }));
  check(list.some((x) => x.name === 'ci') && list.every((x) => x.value === undefined), `secrets listed ${JSON.stringify(list)}`);
  const renamed = ok(await api.PATCH('/api/applications/{id}/secrets/{name}', { params: { path: { ...path, name: 'ci' } }, body: { name: 'deploy' } }));
  check(renamed.name === 'deploy', renamed);
  ok(await api.DELETE('/api/applications/{id}/secrets/{name}', { params: { path: { ...path, name: 'deploy' } } }), 204);
  const after = ok(await api.GET('/api/applications/{id}/secrets', { params: { path } }));
  check(!after.some((x) => x.name === 'deploy' || x.name === 'ci'), after);
});

await run('roles: scopes, applications and users linked and unlinked', async () => {
  const id = state.staff.id;
  ok(await api.POST('/api/roles/{id}/scopes', { params: { path: { id } }, body: { scopeIds: [state.read.id, state.write.id] } }), 201);
  same(sorted(ids(ok(await api.GET('/api/roles/{id}/scopes', { params: { path: { id } } })))), sorted([state.read.id, state.write.id]), "the staff role's scopes");
  ok(await api.DELETE('/api/roles/{id}/scopes/{scopeId}', { params: { path: { id, scopeId: state.write.id } } }), 204);
  same(ids(ok(await api.GET('/api/roles/{id}/scopes', { params: { path: { id } } }))), [state.read.id], 'after the unlink');
  ok(await api.POST('/api/roles/{id}/users', { params: { path: { id } }, body: { userIds: [state.bob.id] } }), 201);
  ok(await api.DELETE('/api/roles/{id}/users/{userId}', { params: { path: { id, userId: state.bob.id } } }), 204);
  const robot = state.robot.id;
  const apps = ok(await api.GET('/api/roles/{id}/applications', { params: { path: { id: robot } } }));
  same(ids(apps), [state.m2m.id], "the robot role's applications");
  // A User role is never an application's: Logto's code on the application's
  // route; Monban's own on the role's, where Logto does not check.
  refused(await api.POST('/api/applications/{applicationId}/roles', { params: { path: { applicationId: state.m2m.id } }, body: { roleIds: [id] } }), 422, 'application.invalid_role_type');
  refused(await api.POST('/api/roles/{id}/applications', { params: { path: { id } }, body: { applicationIds: [state.m2m.id] } }), 422, 'role.invalid_type');
});

await run('users: roles replaced, custom data, password, suspension', async () => {
  const path = { userId: state.bob.id };
  same(ok(await api.PUT('/api/users/{userId}/roles', { params: { path }, body: { roleIds: [state.staff.id, state.staff.id] } })), { roleIds: [state.staff.id] }, 'PUT user roles answer');
  same(ids(ok(await api.GET('/api/users/{userId}/roles', { params: { path } }))), [state.staff.id], 'roles after PUT');
  ok(await api.DELETE('/api/users/{userId}/roles/{roleId}', { params: { path: { ...path, roleId: state.staff.id } } }), 204);
  same(ok(await api.GET('/api/users/{userId}/roles', { params: { path } })), [], 'roles after DELETE');
  same(ok(await api.PATCH('/api/users/{userId}/custom-data', { params: { path }, body: { customData: { plan: 'pro' } } })), { team: 'blue', plan: 'pro' }, 'custom data merged');
  same(ok(await api.GET('/api/users/{userId}/custom-data', { params: { path } })), { team: 'blue', plan: 'pro' }, 'custom data');
  const withPassword = ok(await api.PATCH('/api/users/{userId}/password', { params: { path }, body: { password: 'Babbage-Engine-1822' } }));
  check(withPassword.hasPassword === true, withPassword);
  ok(await api.POST('/api/users/{userId}/password/verify', { params: { path }, body: { password: 'Babbage-Engine-1822' } }), 204);
  const suspended = ok(await api.PATCH('/api/users/{userId}/is-suspended', { params: { path }, body: { isSuspended: true } }));
  check(suspended.isSuspended === true, suspended);
  const back = ok(await api.PATCH('/api/users/{userId}/is-suspended', { params: { path }, body: { isSuspended: false } }));
  check(back.isSuspended === false, back);
});

await run('logs, signing keys, status', async () => {
  const res = await api.GET('/api/logs', { params: { query: { userId: state.bob.id, page_size: 5 } } });
  const logs = ok(res);
  check(Array.isArray(logs) && Number(res.response.headers.get('total-number')) >= 0, `logs ${JSON.stringify(logs)}`);
  check(logs.every((l) => typeof l.id === 'string' && typeof l.key === 'string' && typeof l.createdAt === 'number'), logs);
  const keys = ok(await api.GET('/api/configs/oidc/private-keys'));
  check(keys.length >= 1 && keys.every((k) => k.id && k.signingKeyAlgorithm && typeof k.createdAt === 'number' && k.value === undefined), `keys ${JSON.stringify(keys)}`);
  const status = await api.GET('/api/status');
  check(status.response.status === 204, `status ${status.response.status}`);
});

await run('jwt-customizer: test run answers the claims', async () => {
  const script = `const getCustomJwtClaims = async ({ token, context, environmentVariables }) => {
  return { tier: 'gold', region: environmentVariables.REGION };
};`;
  const res = await api.POST('/api/configs/jwt-customizer/test', {
    body: { tokenType: 'client-credentials', script, environmentVariables: { REGION: 'eu' }, token: { jti: 'j1', aud: 'https://shopping.api', scope: 'read', clientId: state.m2m.id, kind: 'ClientCredentials' }, context: {} },
  });
  same(ok(res), { tier: 'gold', region: 'eu' }, 'claims');
});

// --- password import ---

// importDigest creates a user from another implementation's digest through
// POST /api/users, proves the password through the verify route, and that
// the stored hash became Monban's argon2id; a wrong password fails first.
const importDigest = async (fixture, username) => {
  const created = await api.POST('/api/users', {
    body: { username, passwordDigest: fixture.digest, passwordAlgorithm: fixture.algorithm },
  });
  if (fixture.algorithm === 'Argon2d' && created.response.status === 400) {
    // Verification of Argon2d is being added; until then the import is
    // refused, naming it.
    check(String(created.error?.message).includes('Argon2d'), `Argon2d refused without naming it: ${JSON.stringify(created.error)}`);
    return 'refused';
  }
  const user = ok(created);
  const path = { userId: user.id };
  const query = { includePasswordHash: 'true' };
  const before = ok(await api.GET('/api/users/{userId}', { params: { path, query } }));
  check(before.passwordDigest === fixture.digest && before.passwordAlgorithm === fixture.algorithm, `exported before sign-in: ${before.passwordDigest} ${before.passwordAlgorithm}`);
  const roles = ok(await api.GET('/api/users/{userId}/roles', { params: { path } }));
  check(roles.some((r) => r.id === state.reader.id), 'an imported user gets the default role too');
  const wrong = await api.POST('/api/users/{userId}/password/verify', { params: { path }, body: { password: `${fixture.password}!` } });
  check(wrong.response.status === 422, `wrong password: ${wrong.response.status}`);
  const still = ok(await api.GET('/api/users/{userId}', { params: { path, query } }));
  check(still.passwordDigest === fixture.digest, 'a failed verification keeps the digest');
  ok(await api.POST('/api/users/{userId}/password/verify', { params: { path }, body: { password: fixture.password } }), 204);
  const after = ok(await api.GET('/api/users/{userId}', { params: { path, query } }));
  check(after.passwordAlgorithm === 'Argon2id' && after.passwordDigest?.startsWith('$argon2id$') && after.passwordDigest !== fixture.digest, `exported after sign-in: ${after.passwordDigest} ${after.passwordAlgorithm}`);
  ok(await api.POST('/api/users/{userId}/password/verify', { params: { path }, body: { password: fixture.password } }), 204);
  ok(await api.DELETE('/api/users/{userId}', { params: { path } }), 204);
  return 'verified';
};

const committed = JSON.parse(readFileSync(new URL('testdata/digests.json', import.meta.url), 'utf8'));
const fresh = await makeDigests();
for (const [set, fixtures] of [['committed', committed], ['fresh', fresh]]) {
  for (const [i, fixture] of fixtures.entries()) {
    const name = `password import (${set}): ${fixture.algorithm} by ${fixture.by.split(' ').slice(0, 2).join(' ')} #${i}`;
    let outcome;
    await run(name, async () => {
      outcome = await importDigest(fixture, `${tag}_${set}_${i}`);
    });
    if (outcome === 'refused') {
      report.passed.pop();
      skip(name, 'Argon2d is refused at import (400 naming it) by this server: enable once Argon2d verification lands');
    }
  }
}

// --- unknown query parameters ---

await run('unknown query parameter is 400 request.invalid_input', async () => {
  const calls = {
    '/api/applications': () => api.GET('/api/applications', { params: { query: { colour: 'red' } } }),
    '/api/resources': () => api.GET('/api/resources', { params: { query: { colour: 'red' } } }),
    '/api/resources/:id/scopes': () => api.GET('/api/resources/{resourceId}/scopes', { params: { path: { resourceId: state.resource.id }, query: { colour: 'red' } } }),
    '/api/roles': () => api.GET('/api/roles', { params: { query: { colour: 'red' } } }),
    '/api/roles/:id/users': () => api.GET('/api/roles/{id}/users', { params: { path: { id: state.reader.id }, query: { colour: 'red' } } }),
    '/api/users': () => api.GET('/api/users', { params: { query: { colour: 'red' } } }),
    '/api/users/:id': () => api.GET('/api/users/{userId}', { params: { path: { userId: state.ada.id }, query: { colour: 'red' } } }),
    '/api/users/:id/roles': () => api.GET('/api/users/{userId}/roles', { params: { path: { userId: state.ada.id }, query: { colour: 'red' } } }),
    '/api/logs': () => api.GET('/api/logs', { params: { query: { colour: 'red' } } }),
    '/api/applications/:id': () => api.GET('/api/applications/{id}', { params: { path: { id: state.web.id }, query: { colour: 'red' } } }),
    'PATCH /api/roles/:id': () => api.PATCH('/api/roles/{id}', { params: { path: { id: state.staff.id }, query: { colour: 'red' } }, body: { description: 'never' } }),
  };
  for (const [route, call] of Object.entries(calls)) {
    const res = await call();
    check(res.response.status === 400 && res.error?.code === 'request.invalid_input' && String(res.error?.message).includes('colour'), `${route}: ${res.response.status} ${JSON.stringify(res.error ?? res.data)}`);
  }
  const role = ok(await api.GET('/api/roles/{id}', { params: { path: { id: state.staff.id } } }));
  check(role.description !== 'never', 'a refused PATCH changed the role');
});

// --- hooks (in their own module: skipped while /api/hooks is not served) ---

await hooks({ api, tag, run, check, skip, ok, refused, same, state });

// --- clean-up: what this run created goes, through the API ---

await run('clean-up: delete users, roles, resource, applications', async () => {
  for (const user of [state.ada, state.bob]) {
    ok(await api.DELETE('/api/users/{userId}', { params: { path: { userId: user.id } } }), 204);
  }
  refused(await api.GET('/api/users/{userId}', { params: { path: { userId: state.ada.id } } }), 404, 'entity.not_exists');
  for (const role of [state.reader, state.staff, state.robot]) {
    ok(await api.DELETE('/api/roles/{id}', { params: { path: { id: role.id } } }), 204);
  }
  ok(await api.DELETE('/api/resources/{id}', { params: { path: { id: state.resource.id } } }), 204);
  for (const app of [state.web, state.m2m]) {
    ok(await api.DELETE('/api/applications/{id}', { params: { path: { id: app.id } } }), 204);
  }
  same(ok(await api.GET('/api/applications', { params: { query: { search: `%${tag}%` } } })), [], 'applications left');
});

console.log(JSON.stringify(report));
process.exit(report.failed.length > 0 ? 1 : 0);
