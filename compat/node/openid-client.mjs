// openid-client (v6) against Monban: discovery from the issuer, then the
// client_credentials grant with an RFC 8707 resource. Run by the Go
// compatibility suite (../compat_test.go), which passes:
//   ISSUER      the issuer, {endpoint}/oidc or Auth0's face, {endpoint}/
//   APP_ID      the M2M app's App ID
//   APP_SECRET  its App Secret
//   RESOURCE    the API resource's indicator
//   SCOPE       the scopes asked for, space-separated
//   AUTH        "basic" (client_secret_basic) or "post" (client_secret_post)
// It prints one JSON line: the server metadata it used and the token
// response, or {"error", "error_description", "status", "challenge"} (exit
// code 1) if the server answered with an OAuth error.
import * as client from 'openid-client';

const { ISSUER, APP_ID, APP_SECRET, RESOURCE, SCOPE, AUTH } = process.env;

const auth = AUTH === 'post' ? client.ClientSecretPost(APP_SECRET) : client.ClientSecretBasic(APP_SECRET);

try {
  // The issuer is http:// on a loopback port in the suite: openid-client
  // refuses plain HTTP unless told otherwise.
  const config = await client.discovery(new URL(ISSUER), APP_ID, APP_SECRET, auth, {
    execute: [client.allowInsecureRequests],
  });
  const metadata = config.serverMetadata();
  const tokens = await client.clientCredentialsGrant(config, { resource: RESOURCE, scope: SCOPE });
  console.log(
    JSON.stringify({
      issuer: metadata.issuer,
      token_endpoint: metadata.token_endpoint,
      jwks_uri: metadata.jwks_uri,
      access_token: tokens.access_token,
      token_type: tokens.token_type,
      expires_in: tokens.expires_in,
      scope: tokens.scope,
    }),
  );
} catch (err) {
  if (err instanceof client.ResponseBodyError) {
    console.log(JSON.stringify({ error: err.error, error_description: err.error_description, status: err.status }));
    process.exit(1);
  }
  if (err instanceof client.WWWAuthenticateChallengeError) {
    // A 401 with a WWW-Authenticate challenge (RFC 6749 §5.2 asks for one
    // when the client used the Authorization header): openid-client reports
    // the challenge and leaves the body to the caller.
    const body = await err.response.json();
    console.log(
      JSON.stringify({
        error: body.error,
        error_description: body.error_description,
        status: err.status,
        challenge: err.cause[0]?.scheme,
      }),
    );
    process.exit(1);
  }
  throw err;
}
