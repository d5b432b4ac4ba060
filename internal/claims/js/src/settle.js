// How a run ends: its value, or the error it threw, reported to the host.

import { isArray, jsonStringify } from './prelude.js';
import { clip, finish, maxOutput, st } from './state.js';
import { formatArg } from './console.js';

function describeError(e) {
  const out = { message: '', stack: '', thrownNull: e === null };
  try {
    if (e instanceof Error) {
      out.message = String(e.name) + ': ' + String(e.message);
      const stack = e.stack;
      if (typeof stack === 'string') out.stack = clip(stack, 4096);
    } else if (typeof e === 'string') {
      out.message = 'Uncaught ' + e;
    } else {
      out.message = 'Uncaught ' + formatArg(e, false);
    }
  } catch (_) {
    out.message = 'Uncaught exception (not printable)';
  }
  out.message = clip(out.message, 1024);
  return jsonStringify(out);
}

// denial ends a denied run: with the script's message, and for an Auth0
// Action the OAuth error code too.
const denial = (cur) => {
  if (cur.denyCode) finish(cur, 'deniedCode', jsonStringify({ code: cur.denyCode, message: cur.denyMessage }));
  else finish(cur, 'denied', cur.denyMessage);
};

export function settleError(cur, e) {
  if (cur !== st || cur.done) return;
  if (cur.denied) denial(cur);
  else finish(cur, 'error', describeError(e));
}

export function settleValue(cur, v) {
  if (cur !== st || cur.done) return;
  if (cur.denied) {
    denial(cur);
    return;
  }
  if (v === null || typeof v !== 'object' || isArray(v)) {
    const what = v === null ? 'null' : isArray(v) ? 'an array' : typeof v;
    finish(cur, 'error', jsonStringify({ message: 'getCustomJwtClaims must return an object, it returned ' + what }));
    return;
  }
  let s;
  try {
    s = jsonStringify(v);
  } catch (e) {
    settleError(cur, e);
    return;
  }
  if (typeof s !== 'string' || s.charCodeAt(0) !== 123 /* { */) {
    finish(cur, 'error', jsonStringify({ message: 'getCustomJwtClaims must return a plain object' }));
    return;
  }
  if (s.length > maxOutput) {
    finish(cur, 'output', String(s.length));
    return;
  }
  finish(cur, 'ok', s);
}

// An exception nobody can catch (timer callback, event listener, microtask)
// fails the run, as it would end a Node process.
export const uncaught = (e) => {
  if (st) settleError(st, e);
};
