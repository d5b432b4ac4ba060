// openid-client 6 and @logto/api against Monban's Logto face: a pushed
// authorization request (RFC 9126) through buildAuthorizationUrlWithPAR,
// the hosted sign-in page and the code exchange; then token exchange (RFC
// 8693) as Logto does it: a subject token and personal access tokens made
// with @logto/api, exchanged with openid-client's genericGrantRequest.
//
// Environment: LOGTO_ENDPOINT, TENANT_ID, APP_ID and APP_SECRET (an app
// holding the Management API role), SPA_ID (a SPA), REDIRECT_URI,
// WEB_ID and WEB_SECRET (a web app that may exchange tokens), RESOURCE
// and SCOPE (an API and a permission the user's role grants), USERNAME,
// PASSWORD, USER_ID. Prints {passed, failed} (see steps.mjs).
import { createManagementApi } from '@logto/api/management';
import * as client from 'openid-client';

import { browser } from './hosted.mjs';
import { steps, check, claims } from './steps.mjs';

const env = process.env;
const root = env.LOGTO_ENDPOINT.replace(/\/?$/, '/');
const issuer = new URL('oidc', root);
const { step, done } = steps();
const { follow, signIn } = browser(root, env.USERNAME, env.PASSWORD);
// The suite's server is plain HTTP on loopback.
const insecure = { execute: [client.allowInsecureRequests] };
const { apiClient: api } = createManagementApi(env.TENANT_ID, { clientId: env.APP_ID, clientSecret: env.APP_SECRET, baseUrl: env.LOGTO_ENDPOINT });

const tokenExchange = 'urn:ietf:params:oauth:grant-type:token-exchange';
const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token';

let spa;
let web;

await step('discovery: the PAR endpoint and the token exchange grant', async () => {
  spa = await client.discovery(issuer, env.SPA_ID, undefined, client.None(), insecure);
  web = await client.discovery(issuer, env.WEB_ID, env.WEB_SECRET, client.ClientSecretBasic(env.WEB_SECRET), insecure);
  const m = spa.serverMetadata();
  check(m.pushed_authorization_request_endpoint === `${issuer.href}/request`, 'pushed_authorization_request_endpoint', m);
  check(m.grant_types_supported.includes(tokenExchange), 'grant_types_supported', m.grant_types_supported);
});

await step('buildAuthorizationUrlWithPAR, the hosted sign-in page, the code exchange', async () => {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(spa, {
    redirect_uri: env.REDIRECT_URI, scope: `openid offline_access ${env.SCOPE}`, resource: env.RESOURCE, state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const params = [...url.searchParams.keys()].sort().join(' ');
  check(params === 'client_id request_uri' && url.searchParams.get('request_uri').startsWith('urn:ietf:params:oauth:request_uri:'), 'authorization URL', url.href);
  const back = await signIn(await follow(url.href));
  check(back.location?.startsWith(`${env.REDIRECT_URI}?`), 'redirect to the app', back);
  const tokens = await client.authorizationCodeGrant(spa, new URL(back.location), { pkceCodeVerifier: verifier, expectedState: state },
    { resource: env.RESOURCE });
  const at = claims(tokens.access_token);
  check(at.sub === env.USER_ID && at.aud === env.RESOURCE && at.scope === env.SCOPE, 'access token', at);
  check(tokens.claims().sub === env.USER_ID && tokens.refresh_token, 'ID and refresh tokens', Object.keys(tokens));
  // The request_uri is spent.
  const again = await follow(url.href);
  check(again.status === 400 && again.html.includes('invalid_request_uri'), 'a used request_uri', again.status);
});

const exchange = (subject, type, extra = {}) =>
  client.genericGrantRequest(web, tokenExchange, { subject_token: subject, subject_token_type: type, resource: env.RESOURCE, scope: env.SCOPE, ...extra });

await step('@logto/api subject token, exchanged once with genericGrantRequest', async () => {
  const res = await api.POST('/api/subject-tokens', { body: { userId: env.USER_ID, context: { ticket: 'T-7' } } });
  check(res.response.status === 201 && res.data.subjectToken.startsWith('sub_') && res.data.expiresIn === 600, 'subject token', res.data);
  const tokens = await exchange(res.data.subjectToken, accessTokenType);
  const at = claims(tokens.access_token);
  check(tokens.issued_token_type === accessTokenType && at.sub === env.USER_ID && at.client_id === env.WEB_ID && at.scope === env.SCOPE, 'exchanged', [tokens, at]);
  try {
    await exchange(res.data.subjectToken, accessTokenType);
    throw new Error('a consumed subject token was exchanged again');
  } catch (e) {
    check(e instanceof client.ResponseBodyError && e.error === 'invalid_grant', 'the second exchange', String(e));
  }
});

await step('@logto/api personal access tokens: create, list, rename, exchange, delete', async () => {
  const path = { params: { path: { userId: env.USER_ID } } };
  const made = await api.POST('/api/users/{userId}/personal-access-tokens', { ...path, body: { name: 'compat', expiresAt: Date.now() + 3600_000 } });
  check(made.response.status === 201 && made.data.value.startsWith('pat_'), 'created', made.data);
  const renamed = await api.PATCH('/api/users/{userId}/personal-access-tokens', { ...path, body: { currentName: 'compat', name: 'compat-2' } });
  check(renamed.response.status === 200 && renamed.data.name === 'compat-2', 'renamed', renamed.data);
  const list = await api.GET('/api/users/{userId}/personal-access-tokens', path);
  check(list.response.status === 200 && list.data.length === 1 && list.data[0].name === 'compat-2', 'listed', list.data);
  const tokens = await exchange(made.data.value, 'urn:logto:token-type:personal_access_token');
  check(claims(tokens.access_token).sub === env.USER_ID, 'exchanged', tokens);
  const del = await api.POST('/api/users/{userId}/personal-access-tokens/delete', { ...path, body: { name: 'compat-2' } });
  check(del.response.status === 204, 'deleted', del.response.status);
});

done();
