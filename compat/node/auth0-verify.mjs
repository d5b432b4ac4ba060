// Auth0's token verifiers against Monban's Auth0 face, as Auth0's
// quickstarts set them up:
//   - express-oauth2-jwt-bearer (Auth0's Express middleware) with
//     issuerBaseURL https://{domain}/ and the API's audience, protecting a
//     tiny Express app run here: a token from /oauth/token passes, a token
//     for another API, a forged one and none are refused;
//   - jsonwebtoken + jwks-rsa with algorithms ['RS256'] (the server runs
//     with MONBAN_SIGNING_ALG=RS256).
// The server serves HTTPS and NODE_EXTRA_CA_CERTS trusts its certificate.
//
// Environment: MONBAN_DOMAIN (host:port), CLIENT_ID, CLIENT_SECRET (an app
// granted AUDIENCE's read:orders and OTHER_AUDIENCE), AUDIENCE,
// OTHER_AUDIENCE. Prints {passed, failed} (see steps.mjs).
import { generateKeyPairSync, createSign } from 'node:crypto';
import express from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import jwt from 'jsonwebtoken';
import jwksClient from 'jwks-rsa';
import { steps, check, claims } from './steps.mjs';

const domain = process.env.MONBAN_DOMAIN;
const audience = process.env.AUDIENCE;
const { step, done } = steps();

async function token(aud, scope) {
  const body = { client_id: process.env.CLIENT_ID, client_secret: process.env.CLIENT_SECRET, audience: aud, grant_type: 'client_credentials' };
  if (scope) body.scope = scope;
  const res = await fetch(`https://${domain}/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json();
  check(res.status === 200, `token for ${aud}`, json);
  return json.access_token;
}

// forge re-signs a token's header and changed payload with a key of our
// own, keeping the server's kid.
function forge(real, change) {
  const [h, p] = real.split('.');
  const payload = { ...JSON.parse(Buffer.from(p, 'base64url')), ...change };
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const input = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const sig = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');
  return `${input}.${sig}`;
}

// tamper changes the payload and keeps the server's signature.
function tamper(real, change) {
  const [h, p, s] = real.split('.');
  const payload = { ...JSON.parse(Buffer.from(p, 'base64url')), ...change };
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
}

let good;
let other;
let narrow;

await step('tokens from /oauth/token are RS256', async () => {
  good = await token(audience);
  narrow = await token(audience, 'write:orders');
  other = await token(process.env.OTHER_AUDIENCE);
  const header = JSON.parse(Buffer.from(good.split('.')[0], 'base64url'));
  check(header.alg === 'RS256' && header.kid, 'header', header);
  const c = claims(good);
  check(c.iss === `https://${domain}/` && c.aud === audience && c.scope.split(' ').includes('read:orders'), 'claims', c);
});

await step('express-oauth2-jwt-bearer', async () => {
  const app = express();
  app.use(auth({ issuerBaseURL: `https://${domain}/`, audience }));
  app.get('/orders', requiredScopes('read:orders'), (req, res) => {
    res.json({ sub: req.auth.payload.sub, scope: req.auth.payload.scope });
  });
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const base = `http://127.0.0.1:${server.address().port}`;
    const call = async (tok) => {
      const res = await fetch(`${base}/orders`, { headers: tok ? { authorization: `Bearer ${tok}` } : {} });
      return [res.status, res.headers.get('www-authenticate') ?? '', res.status === 200 ? await res.json() : null];
    };
    let [s, h, body] = await call(good);
    check(s === 200 && body.sub === `${process.env.CLIENT_ID}@clients`, 'a token for the API', [s, h, body]);
    [s, h] = await call(other);
    check(s === 401 && h.includes('invalid_token'), 'a token for another API', [s, h]);
    [s, h] = await call(forge(good, {}));
    check(s === 401 && h.includes('invalid_token'), 'a token signed by another key', [s, h]);
    [s, h] = await call(tamper(good, { scope: 'read:orders write:orders delete:orders' }));
    check(s === 401 && h.includes('invalid_token'), 'a token whose payload was changed', [s, h]);
    [s, h] = await call(narrow);
    check(s === 403 && h.includes('insufficient_scope'), 'a token without read:orders', [s, h]);
    [s, h] = await call(null);
    check(s === 401, 'no token', [s, h]);
  } finally {
    server.close();
  }
});

await step('jsonwebtoken + jwks-rsa, algorithms RS256', async () => {
  const client = jwksClient({ jwksUri: `https://${domain}/.well-known/jwks.json` });
  function getKey(header, callback) {
    client.getSigningKey(header.kid, (err, key) => {
      callback(err, key?.publicKey || key?.rsaPublicKey);
    });
  }
  const verify = (tok) => new Promise((resolve) => {
    jwt.verify(tok, getKey, { audience, issuer: `https://${domain}/`, algorithms: ['RS256'] }, (err, decoded) => {
      resolve(err ? `${err.name}: ${err.message}` : decoded);
    });
  });
  const decoded = await verify(good);
  check(typeof decoded === 'object' && decoded.sub === `${process.env.CLIENT_ID}@clients` && decoded.aud === audience, 'verified', decoded);
  let r = await verify(other);
  check(typeof r === 'string' && r.startsWith('JsonWebTokenError: jwt audience invalid'), 'another API', r);
  r = await verify(forge(good, {}));
  check(r === 'JsonWebTokenError: invalid signature', 'another key', r);
  r = await verify(tamper(good, { sub: 'someone-else@clients' }));
  check(r === 'JsonWebTokenError: invalid signature', 'a changed payload', r);
});

done();
