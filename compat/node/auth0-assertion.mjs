// Auth0's own Node SDK (auth0 7) with a client assertion instead of a
// secret: ManagementClient({domain, clientId, clientAssertionSigningKey}),
// as Auth0's docs set up private_key_jwt. The SDK signs an RS256 assertion
// (no kid, aud https://{domain}/) for /oauth/token, and then calls the
// Management API v2 with the token it got.
//
// Environment: MONBAN_DOMAIN (host:port of https://host:port), CLIENT_ID
// (a client switched to private_key_jwt with the key's credential, holding
// a client grant to /api/v2/), SIGNING_KEY (its private key, PKCS #8 PEM).
// Prints {passed, failed} (see steps.mjs).
import { ManagementClient } from 'auth0';
import { steps, check } from './steps.mjs';

const domain = process.env.MONBAN_DOMAIN;
const { step, done } = steps();
const seen = [];
const recordingFetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input);
  const res = await fetch(input, init);
  seen.push({ url, status: res.status, body: url.endsWith('/oauth/token') ? String(init?.body) : undefined });
  return res;
};
const mgmt = new ManagementClient({
  domain, clientId: process.env.CLIENT_ID, clientAssertionSigningKey: process.env.SIGNING_KEY, fetch: recordingFetch,
});

await step('token: a client assertion at /oauth/token', async () => {
  const client = await mgmt.clients.get(process.env.CLIENT_ID);
  const token = seen.find((s) => s.url === `https://${domain}/oauth/token`);
  check(token?.status === 200, '/oauth/token answered', token);
  check(token.body.includes('client_assertion=') && !token.body.includes('client_secret'), 'the SDK sent an assertion, no secret', token.body);
  check(client.client_authentication_methods?.private_key_jwt?.credentials?.length === 1, 'the client names its credential', client);
  check(client.token_endpoint_auth_method === null, 'token_endpoint_auth_method is null', client.token_endpoint_auth_method);
});

await step('credentials: the SDK lists the client\'s credentials', async () => {
  const list = await mgmt.clients.credentials.list(process.env.CLIENT_ID);
  const creds = Array.isArray(list) ? list : list.data;
  check(creds.length === 1 && creds[0].credential_type === 'public_key' && creds[0].alg === 'RS256', 'one RS256 public key', creds);
});

done();
