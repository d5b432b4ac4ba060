// openid-client 6 through the code flow on Monban's Auth0 face, as a web
// app written against Auth0 runs it: discovery at the root issuer,
// /authorize with PKCE and audience, the hosted sign-in page (fetched and
// posted as a browser would: cookies, the CSRF field, redirects followed
// by hand), /oauth/token, /userinfo, a refresh, /oauth/revoke of the
// refresh token (then a refresh fails), and /v2/logout with returnTo.
// The server serves HTTPS and NODE_EXTRA_CA_CERTS trusts its certificate.
//
// Environment: MONBAN_DOMAIN (host:port), CLIENT_ID (a SPA), REDIRECT_URI,
// LOGOUT_URI (its allowed logout URL), AUDIENCE, USERNAME, PASSWORD,
// USER_ID. Prints {passed, failed} (see steps.mjs).
import * as client from 'openid-client';
import { browser } from './hosted.mjs';
import { steps, check, claims, sameSet } from './steps.mjs';

const domain = process.env.MONBAN_DOMAIN;
const root = `https://${domain}/`;
const redirectUri = process.env.REDIRECT_URI;
const audience = process.env.AUDIENCE;
const { step, done } = steps();

const { browse, follow, signIn } = browser(root, process.env.USERNAME, process.env.PASSWORD);

let config;
let tokens;
let authUrl;

await step('discovery at the root issuer', async () => {
  config = await client.discovery(new URL(root), process.env.CLIENT_ID, undefined, client.None());
  const m = config.serverMetadata();
  check(m.issuer === root && m.authorization_endpoint === `${root}authorize` && m.token_endpoint === `${root}oauth/token`
    && m.userinfo_endpoint === `${root}userinfo` && m.revocation_endpoint === `${root}oauth/revoke` && m.jwks_uri === `${root}.well-known/jwks.json`, 'metadata', m);
});

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();

await step('/authorize with PKCE and audience, the hosted sign-in page', async () => {
  authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid profile email offline_access read:orders', audience, state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  check(authUrl.href.startsWith(`${root}authorize?`), 'authorization URL', authUrl.href);
  const page = await follow(authUrl.href);
  const back = await signIn(page);
  check(back.location?.startsWith(`${redirectUri}?`), 'redirect to the app', back);
  const q = new URL(back.location).searchParams;
  check(q.get('code') && q.get('state') === state && q.get('iss') === root, 'callback', back.location);
  config.callback = new URL(back.location);
});

await step('code exchange at /oauth/token', async () => {
  tokens = await client.authorizationCodeGrant(config, config.callback, { pkceCodeVerifier: verifier, expectedState: state });
  const at = claims(tokens.access_token);
  check(at.iss === root && sameSet(at.aud, [audience, `${root}userinfo`]) && at.sub === process.env.USER_ID, 'access token', at);
  check(sameSet(at.scope.split(' '), ['openid', 'profile', 'email', 'read:orders']), 'access token scope', at.scope);
  const id = tokens.claims();
  check(id.iss === root && id.aud === process.env.CLIENT_ID && id.sub === process.env.USER_ID, 'ID token', id);
  check(tokens.refresh_token, 'a refresh token', Object.keys(tokens));
});

await step('/userinfo', async () => {
  const info = await client.fetchUserInfo(config, tokens.access_token, process.env.USER_ID);
  check(info.sub === process.env.USER_ID && info.username === process.env.USERNAME, 'userinfo', info);
});

await step('refresh, /oauth/revoke of the refresh token, then refresh fails', async () => {
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  check(claims(refreshed.access_token).aud.includes(audience), 'refreshed token', claims(refreshed.access_token));
  await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
  try {
    await client.refreshTokenGrant(config, refreshed.refresh_token);
    throw new Error('a revoked refresh token was accepted');
  } catch (e) {
    check(e instanceof client.ResponseBodyError && e.error === 'invalid_grant' && e.status === 400, 'refresh after revoke', String(e));
  }
});

await step('/v2/logout with returnTo', async () => {
  // Still signed in: /authorize goes straight back to the app.
  const again = await follow(authUrl.href);
  check(again.location?.startsWith(redirectUri), 'signed in before logout', again);
  const logout = (returnTo) => `${root}v2/logout?${new URLSearchParams({ client_id: process.env.CLIENT_ID, returnTo })}`;
  let res = await browse(logout('https://evil.example/'));
  check(res.status === 400 && !res.headers.get('location'), 'a returnTo not allowed', [res.status, res.headers.get('location')]);
  const still = await follow(authUrl.href);
  check(still.location?.startsWith(redirectUri), 'the refused logout ended nothing', still);
  res = await browse(logout(process.env.LOGOUT_URI));
  check(res.status === 302 && res.headers.get('location') === process.env.LOGOUT_URI, 'the allowed returnTo', [res.status, res.headers.get('location')]);
  const after = await follow(authUrl.href);
  check(after.status === 200 && after.html.includes('name="password"'), 'signed out: the sign-in page again', after);
});

done();
