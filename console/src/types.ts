// Management API shapes (Logto's), as described by /api/swagger.json.

export type AppType = 'Native' | 'SPA' | 'Traditional' | 'MachineToMachine';
export type RoleType = 'User' | 'MachineToMachine';

export interface Application {
  id: string;
  name: string;
  description: string;
  type: AppType;
  secret?: string;
  oidcClientMetadata: { redirectUris: string[]; postLogoutRedirectUris: string[] };
  customClientMetadata: {
    corsAllowedOrigins?: string[];
    rotateRefreshToken?: boolean;
    refreshTokenTtlInDays?: number;
    allowPasswordGrant?: boolean;
    requirePushedAuthorizationRequests?: boolean;
    requireDpop?: boolean;
    isDeviceFlow?: boolean;
    tokenEndpointAuthMethod?: string;
    jwksUri?: string;
  };
  isThirdParty: boolean;
  createdAt: number;
}

export interface AppSecret {
  applicationId: string;
  name: string;
  createdAt: number;
  expiresAt: number | null;
  value?: string;
}

export interface Resource {
  id: string;
  name: string;
  indicator: string;
  isDefault: boolean;
  accessTokenTtl: number;
  isBuiltIn: boolean;
  enableRbac: boolean;
  permissionsClaim: boolean;
}

export interface Scope {
  id: string;
  resourceId: string;
  name: string;
  description: string;
  createdAt: number;
}

export interface Role {
  id: string;
  name: string;
  description: string;
  type: RoleType;
  isDefault: boolean;
}

export interface User {
  id: string;
  username: string | null;
  primaryEmail: string | null;
  primaryPhone: string | null;
  name: string | null;
  avatar: string | null;
  customData: Record<string, unknown>;
  identities: Record<string, unknown>;
  profile: Record<string, string>;
  applicationId: string | null;
  isSuspended: boolean;
  hasPassword: boolean;
  lastSignInAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface SigningKey {
  id: string;
  signingKeyAlgorithm: string;
  status: 'Next' | 'Current' | 'Previous';
  createdAt: number;
}

export interface LogEntry {
  id: string;
  key: string;
  payload: Record<string, unknown>;
  createdAt: number;
}

export type TokenType = 'access-token' | 'client-credentials';

export interface JwtCustomizer {
  script: string;
  environmentVariables: Record<string, string>;
  contextSample?: Record<string, unknown>;
  tokenSample?: Record<string, unknown>;
  blockIssuanceOnError: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface TestResult {
  claims: Record<string, unknown>;
  droppedClaims: string[];
  logs: string[];
  durationMs: number;
}

export interface TestFailure {
  code: string;
  message: string;
  kind: string;
  line?: number;
  column?: number;
  logs?: string[];
  durationMs?: number;
}

export const appTypeLabel: Record<AppType, string> = {
  Native: 'Native app',
  SPA: 'Single-page app',
  Traditional: 'Traditional web',
  MachineToMachine: 'Machine-to-machine',
};

export function userDisplayName(u: Pick<User, 'name' | 'username' | 'primaryEmail' | 'primaryPhone' | 'id'>): string {
  return u.name || u.username || u.primaryEmail || u.primaryPhone || u.id;
}

export interface Hook {
  id: string;
  name: string;
  event: string | null;
  events: string[];
  config: { url: string; headers?: Record<string, string> };
  signingKey: string;
  enabled: boolean;
  createdAt: number;
  executionStats?: { requestCount: number; successCount: number };
}
