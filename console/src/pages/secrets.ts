// The secret of an app just created, kept in memory until its detail page
// has shown it once.
const fresh = new Map<string, string>();

export function rememberSecret(appId: string, value: string) {
  fresh.set(appId, value);
}

export function takeSecret(appId: string): string | undefined {
  const v = fresh.get(appId);
  fresh.delete(appId);
  return v;
}
