// What a custom JWT claims script receives, per token type: the reference
// shown beside the editor, the editor's completions and the test samples.
import type { TokenType } from '../types';

export interface Prop {
  name: string;
  type: string;
  text: string;
}

export const tokenTypeInfo: Record<TokenType, { title: string; short: string; text: string; issuedBy: string }> = {
  'access-token': {
    title: 'User access token',
    short: 'User',
    text: 'Access tokens issued to users who sign in to your apps (authorization code, refresh token and password grants).',
    issuedBy: 'user grants',
  },
  'client-credentials': {
    title: 'Machine-to-machine access token',
    short: 'Machine-to-machine',
    text: 'Access tokens issued to machine-to-machine apps with the client_credentials grant.',
    issuedBy: 'the client_credentials grant',
  },
};

export const defaultScript = `/**
 * Returns the claims to add to the access token.
 *
 * @param {Object} input
 * @param {Object} input.token - the token payload
 * @param {Object} input.context - the app (and the user)
 * @param {Object} input.environmentVariables - your variables
 * @param {Object} input.api - api.denyAccess(message)
 * @returns {Promise<Object>} the extra claims
 */
const getCustomJwtClaims = async ({ token, context, environmentVariables, api }) => {
  return {};
};
`;

export const tokenProps: Record<TokenType, Prop[]> = {
  'access-token': [
    { name: 'jti', type: 'string', text: 'Unique JWT ID' },
    { name: 'aud', type: 'string', text: 'Audience: the API resource indicator' },
    { name: 'scope', type: 'string', text: 'Granted scopes, space-separated' },
    { name: 'clientId', type: 'string', text: 'The app the token is issued to' },
    { name: 'accountId', type: 'string', text: 'The user ID' },
    { name: 'expiresWithSession', type: 'boolean', text: 'Whether the token ends with the sign-in session' },
    { name: 'grantId', type: 'string', text: 'The grant the token comes from' },
    { name: 'gty', type: 'string', text: 'Grant type: authorization_code, refresh_token or password' },
    { name: 'kind', type: '"AccessToken"', text: 'Token kind' },
  ],
  'client-credentials': [
    { name: 'jti', type: 'string', text: 'Unique JWT ID' },
    { name: 'aud', type: 'string', text: 'Audience: the API resource indicator' },
    { name: 'scope', type: 'string?', text: 'Granted scopes, space-separated (absent when none)' },
    { name: 'clientId', type: 'string', text: 'The machine-to-machine app' },
    { name: 'kind', type: '"ClientCredentials"', text: 'Token kind' },
  ],
};

export const applicationProps: Prop[] = [
  { name: 'id', type: 'string', text: 'App ID' },
  { name: 'name', type: 'string', text: 'Name' },
  { name: 'description', type: 'string', text: 'Description' },
  { name: 'type', type: 'string', text: 'MachineToMachine, SPA, Traditional or Native' },
  { name: 'createdAt', type: 'number', text: 'Creation time, epoch ms' },
  { name: 'isThirdParty', type: 'boolean', text: 'Always false' },
];

export const userProps: Prop[] = [
  { name: 'id', type: 'string', text: 'User ID' },
  { name: 'username', type: 'string | null', text: 'Username' },
  { name: 'primaryEmail', type: 'string | null', text: 'Email' },
  { name: 'primaryPhone', type: 'string | null', text: 'Phone number' },
  { name: 'name', type: 'string | null', text: 'Full name' },
  { name: 'avatar', type: 'string | null', text: 'Avatar URL' },
  { name: 'customData', type: 'object', text: 'Custom data set by admins' },
  { name: 'profile', type: 'object', text: 'OIDC profile: givenName, familyName, locale…' },
  { name: 'roles', type: 'Role[]', text: 'Roles, each with its scopes and their resource' },
  { name: 'isSuspended', type: 'boolean', text: 'Suspended users get no tokens' },
  { name: 'hasPassword', type: 'boolean', text: 'Whether a password is set' },
  { name: 'lastSignInAt', type: 'number | null', text: 'Last sign-in, epoch ms' },
  { name: 'createdAt', type: 'number', text: 'Creation time, epoch ms' },
  { name: 'updatedAt', type: 'number', text: 'Last change, epoch ms' },
];

export const interactionProps: Prop[] = [
  { name: 'interactionEvent', type: '"SignIn" | "Register" | "ForgotPassword"', text: 'What the user did at the sign-in pages' },
  { name: 'userId', type: 'string', text: 'The user who signed in' },
  { name: 'verificationRecords', type: 'VerificationRecord[]', text: 'How they proved who they are: { id, type: "Password" | "EmailVerificationCode" | "PhoneVerificationCode" | "NewPasswordIdentity", templateType?, identifier: { type, value }, verified }' },
];

export const apiProps: Prop[] = [{ name: 'denyAccess(message?)', type: 'void', text: 'Refuses the token: the token request fails with access_denied and this message.' }];

export function completionsFor(tt: TokenType) {
  const c = (ps: Prop[]) => ps.map((p) => ({ label: p.name.replace(/\(.*$/, ''), detail: p.type, info: p.text }));
  const out: Record<string, { label: string; detail?: string; info?: string }[]> = {
    token: c(tokenProps[tt]),
    api: c(apiProps),
    'context.application': c(applicationProps),
  };
  if (tt === 'access-token') {
    out.context = c([
      { name: 'user', type: 'object', text: 'The user' },
      { name: 'application', type: 'object', text: 'The app' },
      { name: 'interaction', type: 'object', text: 'The sign-in' },
    ]);
    out['context.user'] = c(userProps);
    out['context.interaction'] = c(interactionProps);
  } else {
    out.context = c([{ name: 'application', type: 'object', text: 'The app' }]);
  }
  return out;
}

export function sampleToken(tt: TokenType): Record<string, unknown> {
  if (tt === 'client-credentials') {
    return {
      jti: 'QvdMZ3pVbf3mA8Zc2DpSx',
      aud: 'https://shopping.api',
      scope: 'read:products write:products',
      clientId: 'k3v9x2m8q1p7w4z6',
      kind: 'ClientCredentials',
    };
  }
  return {
    jti: 'Ap5cMEcG2nM0WRzdV1FkH',
    aud: 'https://shopping.api',
    scope: 'openid profile read:products',
    clientId: 'w2x8c4v6b1n9m3k5',
    accountId: 'u7h3k9d2q5z1',
    expiresWithSession: true,
    grantId: 'g4T1kL0pX9sQ2vN8bY6aR',
    gty: 'authorization_code',
    kind: 'AccessToken',
  };
}

export function sampleContext(tt: TokenType): Record<string, unknown> {
  if (tt === 'client-credentials') {
    return {
      application: {
        id: 'k3v9x2m8q1p7w4z6',
        name: 'Shopping service',
        description: 'Syncs the product catalogue every night',
        type: 'MachineToMachine',
        createdAt: 1767225600000,
        isThirdParty: false,
      },
    };
  }
  return {
    user: {
      id: 'u7h3k9d2q5z1',
      username: 'jane',
      primaryEmail: 'jane@example.com',
      primaryPhone: null,
      name: 'Jane Doe',
      avatar: null,
      customData: { plan: 'pro', department: 'sales' },
      identities: {},
      profile: { givenName: 'Jane', familyName: 'Doe', locale: 'en-GB' },
      applicationId: null,
      isSuspended: false,
      hasPassword: true,
      lastSignInAt: 1767225600000,
      createdAt: 1764547200000,
      updatedAt: 1767225600000,
      ssoIdentities: [],
      mfaVerificationFactors: [],
      roles: [
        {
          id: 'r1b2c3d4',
          name: 'Shopper',
          description: 'Browses and buys',
          scopes: [
            {
              id: 's1a2b3c4',
              name: 'read:products',
              description: 'Read the catalogue',
              resourceId: 'res1a2b3',
              resource: { id: 'res1a2b3', name: 'Shopping API', indicator: 'https://shopping.api' },
            },
          ],
        },
      ],
      organizations: [],
      organizationRoles: [],
    },
    application: {
      id: 'w2x8c4v6b1n9m3k5',
      name: 'Shop web app',
      description: '',
      type: 'SPA',
      createdAt: 1764547200000,
      isThirdParty: false,
    },
    interaction: {
      interactionEvent: 'SignIn',
      userId: 'u7h3k9d2q5z1',
      verificationRecords: [
        { id: 'v9q8w7e6', type: 'Password', identifier: { type: 'username', value: 'jane' }, verified: true },
        { id: 'c4m2n8x1', type: 'EmailVerificationCode', templateType: 'SignIn', identifier: { type: 'email', value: 'jane@example.com' }, verified: true },
        { id: 'p5t1r7s3', type: 'PhoneVerificationCode', templateType: 'SignIn', identifier: { type: 'phone', value: '819012345678' }, verified: true },
      ],
    },
  };
}

export const pretty = (v: unknown) => JSON.stringify(v, null, 2);
