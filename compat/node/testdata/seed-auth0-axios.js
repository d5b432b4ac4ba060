const axios = require('axios');

async function getManagementToken() {
  const res = await axios.post('https://YOUR_DOMAIN/oauth/token', {
    client_id: process.env.AUTH0_M2M_CLIENT_ID,
    client_secret: process.env.AUTH0_M2M_CLIENT_SECRET,
    audience: 'https://YOUR_DOMAIN/api/v2/',
    grant_type: 'client_credentials'
  });
  return res.data.access_token;
}

async function listUsers() {
  const token = await getManagementToken();
  const res = await axios.get('https://YOUR_DOMAIN/api/v2/users', {
    headers: { Authorization: `Bearer ${token}` }
  });
  return res.data;
}
