// jose (v6) verifying a Monban access token the way Logto's "Protect your
// API" guide for Node (Express) does it: createRemoteJWKSet on
// {endpoint}/oidc/jwks, jwtVerify with the issuer and the API's indicator as
// audience, then the scope check. Then the stricter RFC 9068 check (typ
// at+jwt, pinned algorithms), and a token for another API, which must fail.
// Run by the Go compatibility suite, which passes:
//   LOGTO_ENDPOINT  Monban's endpoint
//   TOKEN           an access token for AUDIENCE holding REQUIRED_SCOPE
//   AUDIENCE        the API's indicator
//   REQUIRED_SCOPE  a scope the token must hold
//   OTHER_TOKEN     an access token for another API
// It prints one JSON line with what it checked.
import assert from 'node:assert';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { LOGTO_ENDPOINT, TOKEN, AUDIENCE, REQUIRED_SCOPE, OTHER_TOKEN } = process.env;

// As the guide shows it.
const { payload } = await jwtVerify(
  TOKEN, // the bearer token of the request
  createRemoteJWKSet(new URL(`${LOGTO_ENDPOINT}/oidc/jwks`)), // the issuer's jwks_uri
  {
    issuer: `${LOGTO_ENDPOINT}/oidc`, // who must have issued it
    audience: AUDIENCE, // the indicator of the API that receives it
  },
);
const { scope, sub } = payload;
assert(scope.split(' ').includes(REQUIRED_SCOPE));

// RFC 9068: typ at+jwt, and only the algorithms Monban signs with.
const JWKS = createRemoteJWKSet(new URL(`${LOGTO_ENDPOINT}/oidc/jwks`));
const strict = await jwtVerify(TOKEN, JWKS, {
  issuer: `${LOGTO_ENDPOINT}/oidc`,
  audience: AUDIENCE,
  typ: 'at+jwt',
  algorithms: ['ES256', 'ES384', 'RS256', 'EdDSA'],
  requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
});

let otherAudience = 'accepted';
try {
  await jwtVerify(OTHER_TOKEN, JWKS, { issuer: `${LOGTO_ENDPOINT}/oidc`, audience: AUDIENCE });
} catch (err) {
  otherAudience = `${err.code} ${err.claim}`;
}

console.log(
  JSON.stringify({
    sub,
    scope,
    alg: strict.protectedHeader.alg,
    typ: strict.protectedHeader.typ,
    kid: strict.protectedHeader.kid,
    client_id: strict.payload.client_id,
    other_audience: otherAudience,
  }),
);
