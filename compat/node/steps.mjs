// A tiny step runner for the Auth0 scripts: each named step runs, throws
// on a failed check, and the script ends by printing one JSON line,
// {passed: [names], failed: [{step, detail}]}, that the Go test reads.
// The Go test requires every step by name, so a step that silently stops
// running fails it.
export function steps() {
  const passed = [];
  const failed = [];
  return {
    async step(name, fn) {
      try {
        await fn();
        passed.push(name);
      } catch (e) {
        failed.push({ step: name, detail: String(e?.stack ?? e).slice(0, 2000) });
      }
    },
    done(extra = {}) {
      console.log(JSON.stringify({ ...extra, passed, failed }));
      process.exit(failed.length ? 1 : 0);
    },
  };
}

// check throws with what was found when ok is false.
export function check(ok, what, found) {
  if (!ok) {
    throw new Error(`${what}: got ${JSON.stringify(found)}`);
  }
}

// claims decodes a JWT's payload without verifying it (the Go test and
// the verifying scripts check signatures).
export function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

// sameSet reports whether two lists hold the same strings.
export function sameSet(a, b) {
  return a.length === b.length && [...a].sort().join(' ') === [...b].sort().join(' ');
}
