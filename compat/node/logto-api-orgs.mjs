// Logto's organizations through @logto/api, run on their own (a budget of
// time of their own on a loaded machine) with the same environment as
// logto-api.mjs: LOGTO_ENDPOINT, APP_ID, APP_SECRET, TENANT_ID. The
// template (organization scopes and roles with API resource scopes),
// organizations, members (users and a machine-to-machine app) and their
// roles, just-in-time provisioning; then organization tokens as
// @logto/node's getOrganizationToken asks for them (a refresh_token grant
// with organization_id, here through openid-client), and the
// client_credentials grant with organization_id for the member app.
// It prints one JSON line: {passed: [step…], failed: [{step, detail}…]},
// and exits 1 when a check failed.
import { createManagementApi } from '@logto/api/management';
import * as client from 'openid-client';

const endpoint = process.env.LOGTO_ENDPOINT;
const { apiClient: api } = createManagementApi(process.env.TENANT_ID, {
  clientId: process.env.APP_ID,
  clientSecret: process.env.APP_SECRET,
  baseUrl: endpoint,
});

const report = { passed: [], failed: [] };
let current = '';
const check = (good, detail) => {
  if (!good) report.failed.push({ step: current, detail: typeof detail === 'string' ? detail : JSON.stringify(detail) });
  return good;
};
const run = async (name, f) => {
  current = name;
  const before = report.failed.length;
  try {
    await f();
  } catch (error) {
    check(false, `threw ${error?.stack ?? error}`);
  }
  if (report.failed.length === before) report.passed.push(name);
};
const ok = (res, status = 200) => {
  if (res.response.status !== status) {
    throw new Error(`${res.response.status} ${res.response.url}, want ${status}: ${JSON.stringify(res.error ?? res.data)}`);
  }
  return res.data;
};
const refused = (res, status, code) =>
  check(res.response.status === status && res.error?.code === code, `${res.response.status} ${JSON.stringify(res.error ?? res.data)}, want ${status} ${code}`);
const canonical = (v) =>
  JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
const same = (got, want, what) => check(canonical(got) === canonical(want), `${what}: ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
const tag = `lorg${Date.now().toString(36)}`;

const s = {};
const ids = (list) => list.map((x) => x.id);
const sorted = (list) => [...list].sort();

await run('organizations: template of scopes and roles', async () => {
  s.read = ok(await api.POST('/api/organization-scopes', { body: { name: `${tag}:read`, description: 'Read documents' } }), 201);
  s.write = ok(await api.POST('/api/organization-scopes', { body: { name: `${tag}:write` } }), 201);
  check(s.write.description === null, `description of a scope without one: ${JSON.stringify(s.write)}`);
  refused(await api.POST('/api/organization-scopes', { body: { name: `${tag}:read` } }), 422, 'entity.unique_integrity_violation');
  s.api = ok(await api.POST('/api/resources', { body: { name: `${tag} Org API`, indicator: `https://${tag}.org.api` } }), 201);
  s.apiRead = ok(await api.POST('/api/resources/{resourceId}/scopes', { params: { path: { resourceId: s.api.id } }, body: { name: 'docs:read' } }), 201);
  s.editor = ok(await api.POST('/api/organization-roles', {
    body: { name: `${tag} editor`, organizationScopeIds: [s.read.id, s.write.id], resourceScopeIds: [s.apiRead.id] },
  }), 201);
  check(s.editor.type === 'User', s.editor);
  s.viewer = ok(await api.POST('/api/organization-roles', { body: { name: `${tag} viewer`, organizationScopeIds: [s.read.id] } }), 201);
  s.robot = ok(await api.POST('/api/organization-roles', { body: { name: `${tag} robot`, type: 'MachineToMachine', organizationScopeIds: [s.read.id] } }), 201);
  const res = await api.GET('/api/organization-roles', { params: { query: { q: tag, page: 1, page_size: 20 } } });
  const roles = ok(res);
  check(res.response.headers.get('total-number') === '3', `Total-Number ${res.response.headers.get('total-number')}`);
  const editor = roles.find((r) => r.id === s.editor.id);
  same(sorted(editor?.scopes?.map((x) => x.name) ?? []), [`${tag}:read`, `${tag}:write`], 'editor scopes');
  check(editor?.resourceScopes?.[0]?.resource?.id === s.api.id, `resource scopes ${JSON.stringify(editor?.resourceScopes)}`);
  const scopes = ok(await api.GET('/api/organization-roles/{id}/scopes', { params: { path: { id: s.viewer.id } } }));
  same(ids(scopes), [s.read.id], 'viewer scopes');
});

await run('organizations: create, get, search, update', async () => {
  s.acme = ok(await api.POST('/api/organizations', { body: { name: `${tag} Acme`, customData: { tier: 'gold' }, branding: { logoUrl: 'https://acme.example/logo.png' } } }), 201);
  s.globex = ok(await api.POST('/api/organizations', { body: { name: `${tag} Globex`, description: 'Another' } }), 201);
  check(s.acme.description === null && s.acme.customData.tier === 'gold' && s.acme.isMfaRequired === false, s.acme);
  const got = ok(await api.GET('/api/organizations/{id}', { params: { path: { id: s.acme.id } } }));
  same(got, s.acme, 'get');
  const found = ok(await api.GET('/api/organizations', { params: { query: { q: `${tag} acm` } } }));
  same(ids(found), [s.acme.id], 'q');
  const patched = ok(await api.PATCH('/api/organizations/{id}', { params: { path: { id: s.acme.id } }, body: { ...got, description: 'B2B' } }));
  check(patched.description === 'B2B' && patched.customData.tier === 'gold', patched);
  refused(await api.GET('/api/organizations/{id}', { params: { path: { id: 'nope' } } }), 404, 'entity.not_exists_with_id');
});

await run('organizations: members and their roles', async () => {
  s.password = `pw-${tag}-Secret1`;
  s.jane = ok(await api.POST('/api/users', { body: { username: `${tag}_jane`, password: s.password } }));
  s.joe = ok(await api.POST('/api/users', { body: { username: `${tag}_joe`, password: s.password } }));
  s.bot = ok(await api.POST('/api/applications', { body: { name: `${tag} Org bot`, type: 'MachineToMachine' } }));
  const path = { id: s.acme.id };
  ok(await api.POST('/api/organizations/{id}/users', { params: { path }, body: { userIds: [s.jane.id] } }), 201);
  ok(await api.POST('/api/organizations/{id}/users/roles', { params: { path }, body: { userIds: [s.jane.id], organizationRoleIds: [s.editor.id] } }), 201);
  refused(await api.POST('/api/organizations/{id}/users/{userId}/roles', { params: { path: { ...path, userId: s.joe.id } }, body: { organizationRoleIds: [s.viewer.id] } }),
    422, 'organization.require_membership');
  refused(await api.POST('/api/organizations/{id}/users/{userId}/roles', { params: { path: { ...path, userId: s.jane.id } }, body: { organizationRoleNames: ['nobody'] } }),
    422, 'organization.role_names_not_found');
  const given = ok(await api.POST('/api/organizations/{id}/users/{userId}/roles', { params: { path: { ...path, userId: s.jane.id } }, body: { organizationRoleNames: [`${tag} viewer`] } }), 201);
  same(given.organizationRoleIds, [s.viewer.id], 'roles given by name');
  const res = await api.GET('/api/organizations/{id}/users', { params: { path, query: { page: 1, page_size: 10 } } });
  const users = ok(res);
  check(users.length === 1 && users[0].id === s.jane.id && res.response.headers.get('total-number') === '1', users);
  same(sorted(users[0].organizationRoles.map((r) => r.name)), sorted([`${tag} editor`, `${tag} viewer`]), 'organizationRoles');
  const scopes = ok(await api.GET('/api/organizations/{id}/users/{userId}/scopes', { params: { path: { ...path, userId: s.jane.id } } }));
  same(sorted(scopes.map((x) => x.name)), [`${tag}:read`, `${tag}:write`], 'user scopes');
  ok(await api.POST('/api/organizations/{id}/applications', { params: { path }, body: { applicationIds: [s.bot.id] } }), 201);
  refused(await api.POST('/api/organizations/{id}/applications/{applicationId}/roles', { params: { path: { ...path, applicationId: s.bot.id } }, body: { organizationRoleIds: [s.editor.id] } }),
    422, 'entity.db_constraint_violated');
  ok(await api.POST('/api/organizations/{id}/applications/{applicationId}/roles', { params: { path: { ...path, applicationId: s.bot.id } }, body: { organizationRoleIds: [s.robot.id] } }), 201);
  const orgs = ok(await api.GET('/api/users/{userId}/organizations', { params: { path: { userId: s.jane.id } } }));
  check(orgs.length === 1 && orgs[0].id === s.acme.id && orgs[0].organizationRoles.length === 2, orgs);
});

await run('organizations: just-in-time provisioning by e-mail domain', async () => {
  const path = { id: s.globex.id };
  const d = ok(await api.POST('/api/organizations/{id}/jit/email-domains', { params: { path }, body: { emailDomain: `${tag}.example` } }), 201);
  check(d.emailDomain === `${tag}.example` && d.organizationId === s.globex.id, d);
  ok(await api.POST('/api/organizations/{id}/jit/roles', { params: { path }, body: { organizationRoleIds: [s.viewer.id] } }), 201);
  s.ann = ok(await api.POST('/api/users', { body: { primaryEmail: `ann@${tag}.example` } }));
  const roles = ok(await api.GET('/api/organizations/{id}/users/{userId}/roles', { params: { path: { ...path, userId: s.ann.id } } }));
  same(ids(roles), [s.viewer.id], 'roles given just in time');
  same(ok(await api.GET('/api/organizations/{id}/jit/sso-connectors', { params: { path } })), [], 'SSO connectors');
});

await run('organization tokens: refresh_token grant with organization_id (getOrganizationToken)', async () => {
  const web = ok(await api.POST('/api/applications', {
    body: { name: `${tag} Org web`, type: 'Traditional', oidcClientMetadata: { redirectUris: ['https://web.example/cb'], postLogoutRedirectUris: [] },
      customClientMetadata: { allowPasswordGrant: true } },
  }));
  s.web = web;
  const config = await client.discovery(new URL(`${endpoint}/oidc`), web.id, web.secret, client.ClientSecretBasic(web.secret), { execute: [client.allowInsecureRequests] });
  const supported = config.serverMetadata().scopes_supported ?? [];
  check(supported.includes('urn:logto:scope:organizations') && supported.includes('urn:logto:scope:organization_roles'), `scopes_supported ${supported}`);
  const signIn = (username) => client.genericGrantRequest(config, 'password', {
    username, password: s.password,
    scope: `openid offline_access urn:logto:scope:organizations urn:logto:scope:organization_roles ${tag}:read ${tag}:write docs:read`,
    resource: s.api.indicator,
  });
  const tokens = await signIn(s.jane.username);
  const id = tokens.claims();
  same(id.organizations, [s.acme.id], 'organizations claim');
  same(sorted(id.organization_roles), sorted([`${s.acme.id}:${tag} editor`, `${s.acme.id}:${tag} viewer`]), 'organization_roles claim');
  const org = await client.refreshTokenGrant(config, tokens.refresh_token, { organization_id: s.acme.id });
  const at = JSON.parse(Buffer.from(org.access_token.split('.')[1], 'base64url'));
  check(at.aud === `urn:logto:organization:${s.acme.id}`, `aud ${at.aud}`);
  same(sorted(at.scope.split(' ')), [`${tag}:read`, `${tag}:write`], 'organization token scope');
  const apiToken = await client.refreshTokenGrant(config, tokens.refresh_token, { organization_id: s.acme.id, resource: s.api.indicator });
  const apiClaims = JSON.parse(Buffer.from(apiToken.access_token.split('.')[1], 'base64url'));
  check(apiClaims.aud === s.api.indicator && apiClaims.scope === 'docs:read' && apiClaims.organization_id === s.acme.id, apiClaims);
  // A role taken away: the next organization token lacks its scopes.
  ok(await api.DELETE('/api/organizations/{id}/users/{userId}/roles/{organizationRoleId}', {
    params: { path: { id: s.acme.id, userId: s.jane.id, organizationRoleId: s.editor.id } },
  }), 204);
  const after = await client.refreshTokenGrant(config, tokens.refresh_token, { organization_id: s.acme.id });
  check(JSON.parse(Buffer.from(after.access_token.split('.')[1], 'base64url')).scope === `${tag}:read`, 'scope after the role was removed');
  // Not a member: refused, never an ordinary token.
  try {
    await client.refreshTokenGrant(config, tokens.refresh_token, { organization_id: s.globex.id });
    check(false, 'a non-member got an organization token');
  } catch (err) {
    check(err instanceof client.ResponseBodyError && err.error === 'access_denied' && err.status === 403, `${err.status} ${err.error} ${err.error_description}`);
  }
});

await run('organization tokens: client_credentials with organization_id', async () => {
  const secret = s.bot.secret;
  const config = await client.discovery(new URL(`${endpoint}/oidc`), s.bot.id, secret, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
  const tokens = await client.clientCredentialsGrant(config, { organization_id: s.acme.id, scope: `${tag}:read ${tag}:write` });
  const at = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url'));
  check(at.aud === `urn:logto:organization:${s.acme.id}` && at.scope === `${tag}:read` && at.sub === s.bot.id, at);
  try {
    await client.clientCredentialsGrant(config, { organization_id: s.globex.id });
    check(false, 'a non-member app got an organization token');
  } catch (err) {
    check(err instanceof client.ResponseBodyError && err.error === 'access_denied', `${err.status} ${err.error}`);
  }
});

await run('organizations: clean-up', async () => {
  for (const o of [s.acme, s.globex]) ok(await api.DELETE('/api/organizations/{id}', { params: { path: { id: o.id } } }), 204);
  for (const r of [s.editor, s.viewer, s.robot]) ok(await api.DELETE('/api/organization-roles/{id}', { params: { path: { id: r.id } } }), 204);
  for (const x of [s.read, s.write]) ok(await api.DELETE('/api/organization-scopes/{id}', { params: { path: { id: x.id } } }), 204);
  for (const u of [s.jane, s.joe, s.ann]) ok(await api.DELETE('/api/users/{userId}', { params: { path: { userId: u.id } } }), 204);
  for (const a of [s.bot, s.web]) ok(await api.DELETE('/api/applications/{id}', { params: { path: { id: a.id } } }), 204);
  ok(await api.DELETE('/api/resources/{id}', { params: { path: { id: s.api.id } } }), 204);
});

console.log(JSON.stringify(report));
process.exit(report.failed.length > 0 ? 1 : 0);
