// The code of Logto's machine-to-machine guide ("Fetch an access token" and
// "Access resource using access token"), unchanged but for where the
// endpoint, the credentials and the tenant come from: the environment, set
// by the Go compatibility suite. The server under test has the Management
// API indicator https://{tenant}.logto.app/api, as on Logto Cloud.
//   LOGTO_ENDPOINT, APP_ID, APP_SECRET, TENANT_ID
// It prints one JSON line: the token response and the answer to
// GET /api/applications.

// --- from the guide: Request an access token ---
const logtoEndpoint = process.env.LOGTO_ENDPOINT; // Replace with your Logto endpoint
const tokenEndpoint = `${logtoEndpoint}/oidc/token`;
const applicationId = process.env.APP_ID;
const applicationSecret = process.env.APP_SECRET;
const tenantId = process.env.TENANT_ID;

const fetchAccessToken = async () => {
  return await fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Buffer.from(`${applicationId}:${applicationSecret}`).toString(
        'base64'
      )}`,
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      resource: `https://${tenantId}.logto.app/api`,
      scope: 'all',
    }).toString(),
  });
};
// --- end of the guide's code ---

const tokenResponse = await fetchAccessToken();
const tokenBody = await tokenResponse.json();

{
  // --- from the guide: Access resource using access token ---
  const logtoEndpoint = process.env.LOGTO_ENDPOINT; // Replace with your Logto endpoint
  const accessToken = tokenBody.access_token; // Access Token

  const fetchLogtoApplications = async () => {
    return await fetch(`${logtoEndpoint}/api/applications`, {
      method: 'GET',
      headers: {
        Authorization: `Bearer ${accessToken}`,
      },
    });
  };
  // --- end of the guide's code ---

  const applications = await fetchLogtoApplications();
  const list = await applications.json();
  console.log(
    JSON.stringify({
      token_status: tokenResponse.status,
      token: tokenBody,
      applications_status: applications.status,
      applications_total: applications.headers.get('total-number'),
      applications: Array.isArray(list) ? list.map((app) => ({ id: app.id, type: app.type })) : list,
    }),
  );
}
