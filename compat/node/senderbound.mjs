// openid-client (v6) with private_key_jwt and DPoP against Monban's Logto
// face: its PrivateKeyJwt client authentication at the token endpoint, and
// client_credentials with a DPoP handle, whose token must come back bound
// to the handle's key (token_type DPoP, cnf.jkt its thumbprint). Run by the
// Go compatibility suite (../node_test.go), which passes:
//   ISSUER        the issuer, {endpoint}/oidc
//   APP_ID        an M2M app authenticating with private_key_jwt
//   APP_KEY       its private key, PKCS #8 PEM (ES256), registered as kid KID
//   KID           the key's kid
//   SECRET_APP_ID, SECRET_APP_SECRET  an M2M app with a secret, for DPoP
//   RESOURCE      the API resource's indicator
// Prints {passed, failed} (see steps.mjs).
import * as client from 'openid-client';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { steps, check, claims } from './steps.mjs';

const { ISSUER, APP_ID, APP_KEY, KID, SECRET_APP_ID, SECRET_APP_SECRET, RESOURCE } = process.env;
const { step, done } = steps();
const insecure = { execute: [client.allowInsecureRequests] };

await step('private_key_jwt: PrivateKeyJwt at the token endpoint', async () => {
  const der = createPrivateKey(APP_KEY).export({ format: 'der', type: 'pkcs8' });
  const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const config = await client.discovery(new URL(ISSUER), APP_ID, undefined, client.PrivateKeyJwt({ key, kid: KID }), insecure);
  const methods = config.serverMetadata().token_endpoint_auth_methods_supported;
  check(methods.includes('private_key_jwt'), 'discovery lists private_key_jwt', methods);
  const tokens = await client.clientCredentialsGrant(config, { resource: RESOURCE });
  check(claims(tokens.access_token).client_id === APP_ID, 'the token is the app\'s', claims(tokens.access_token));
  // A second grant signs a new assertion (a fresh jti): accepted too.
  const again = await client.clientCredentialsGrant(config, { resource: RESOURCE });
  check(again.access_token !== tokens.access_token, 'a second token', again);
});

await step('DPoP: client_credentials bound to the handle\'s key', async () => {
  const config = await client.discovery(new URL(ISSUER), SECRET_APP_ID, SECRET_APP_SECRET, client.ClientSecretBasic(SECRET_APP_SECRET), insecure);
  const algs = config.serverMetadata().dpop_signing_alg_values_supported;
  check(algs?.includes('ES256'), 'discovery lists DPoP algorithms', algs);
  const pair = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, pair);
  const tokens = await client.clientCredentialsGrant(config, { resource: RESOURCE }, { DPoP });
  check(tokens.token_type === 'dpop', 'token_type', tokens.token_type);
  const jwk = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  const thumb = await calculateJwkThumbprint(jwk);
  const cnf = claims(tokens.access_token).cnf;
  check(cnf?.jkt === thumb, 'cnf.jkt is the key\'s thumbprint', { cnf, thumb });
});

done();
