// The seed guide's Auth0 Management API example (axios: getManagementToken
// then listUsers), run as written. testdata/seed-auth0-axios.js holds the
// guide's code exactly as printed there, with YOUR_DOMAIN in it; this
// runner replaces YOUR_DOMAIN by the server's domain, as a reader does,
// and changes nothing else. Credentials come from the environment
// variables the code names (AUTH0_M2M_CLIENT_ID, AUTH0_M2M_CLIENT_SECRET).
// The server serves HTTPS and NODE_EXTRA_CA_CERTS trusts its certificate.
//
// Environment: MONBAN_DOMAIN (host:port). Prints {passed, failed, token,
// users} (see steps.mjs).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { steps, check, claims } from './steps.mjs';

const domain = process.env.MONBAN_DOMAIN;
const written = readFileSync(new URL('./testdata/seed-auth0-axios.js', import.meta.url), 'utf8');
const code = written.replaceAll('YOUR_DOMAIN', domain);
// The guide's code is a CommonJS script; run it with require and process
// in scope and take its two functions.
// eslint-disable-next-line no-new-func
const { getManagementToken, listUsers } = new Function('require', 'process',
  `${code}\nreturn { getManagementToken, listUsers };`)(createRequire(import.meta.url), process);

const { step, done } = steps();
const out = {};

await step('the code is the guide\'s', async () => {
  check(written.includes("axios.post('https://YOUR_DOMAIN/oauth/token'") && written.includes("audience: 'https://YOUR_DOMAIN/api/v2/'")
    && written.includes("axios.get('https://YOUR_DOMAIN/api/v2/users'"), 'testdata/seed-auth0-axios.js', written);
  check(code.split('\n').length === written.split('\n').length && !code.includes('YOUR_DOMAIN'), 'substitution', code);
});

await step('getManagementToken', async () => {
  const token = await getManagementToken();
  const c = claims(token);
  check(c.iss === `https://${domain}/` && c.aud === `https://${domain}/api/v2/` && c.scope.split(' ').includes('read:users'), 'token', c);
  out.token = token;
});

await step('listUsers', async () => {
  const users = await listUsers();
  check(Array.isArray(users) && users.length > 0, 'users', users);
  out.users = users.map((u) => ({ user_id: u.user_id, email: u.email, connection: u.identities?.[0]?.connection }));
});

done(out);
