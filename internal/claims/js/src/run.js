// The script's argument (ScriptArg, api) and the run itself: calling
// getCustomJwtClaims and delivering timer and fetch completions to it.

import { apply, defineProperty, freeze, jsonParse, jsonStringify, promiseResolve, promiseThen } from './prelude.js';
import { beginRun, clip, factory, finish, READ_CONTEXT, READ_ENV, READ_JTI, READ_TOKEN, st } from './state.js';
import { settleError, settleValue } from './settle.js';
import { fireTimer } from './timers.js';
import { newResponse } from './fetch.js';
import { actionOf, runAction } from './action.js';

// api is the same object in every run; it acts on the run in progress.
export const api = freeze({
  denyAccess(message) {
    const cur = st;
    if (cur && !cur.done && !cur.denied) {
      cur.denied = true;
      cur.denyMessage = message === undefined || message === null ? '' : clip(String(message), 1024);
    }
    throw new Error('access denied by the script');
  },
});

// The script's argument. Its parts are parsed when first read: scripts
// often read only some of them, and parsing is much of a short run. They
// are accessors of the prototype, shared by every run (own accessors would
// cost six closures per run), so reading, destructuring and printing work
// as on a plain object; only spreading the argument leaves them out.
//
// Each first read is noted in the run's reads. The token's jti, unique to
// each token, comes apart from the rest of the token (whose jti is a
// placeholder) and becomes an accessor, so that reading it is noted too.
export class ScriptArg {
  #cur;
  #token;
  #context;
  #env;
  #jti;
  constructor(cur, tokenJSON, contextJSON, envJSON, jti) {
    this.#cur = cur;
    this.#token = tokenJSON;
    this.#context = contextJSON;
    this.#env = envJSON;
    this.#jti = jti;
    this.api = api;
  }
  get token() {
    const x = this.#token;
    if (typeof x !== 'string') return x.v;
    const cur = this.#cur;
    cur.reads |= READ_TOKEN;
    const v = jsonParse(x);
    const jti = this.#jti;
    if (typeof jti === 'string' && jti !== '' && v !== null && typeof v === 'object') {
      defineProperty(v, 'jti', {
        get() {
          cur.reads |= READ_JTI;
          return jti;
        },
        set(w) {
          defineProperty(this, 'jti', { value: w, writable: true, enumerable: true, configurable: true });
        },
        enumerable: true,
        configurable: true,
      });
    }
    return (this.#token = { v }).v;
  }
  set token(v) {
    this.#token = { v };
  }
  // #parse notes that the script read a part (bit) and parses it (x).
  #parse(x, bit) {
    this.#cur.reads |= bit;
    return { v: jsonParse(x) };
  }
  get context() {
    const x = this.#context;
    return typeof x !== 'string' ? x.v : (this.#context = this.#parse(x, READ_CONTEXT)).v;
  }
  set context(v) {
    this.#context = { v };
  }
  get environmentVariables() {
    const x = this.#env;
    return typeof x !== 'string' ? x.v : (this.#env = this.#parse(x, READ_ENV)).v;
  }
  set environmentVariables(v) {
    this.#env = { v };
  }
  toJSON() {
    return { token: this.token, context: this.context, environmentVariables: this.environmentVariables, api: this.api };
  }
}

// run calls the script: getCustomJwtClaims, or with a trigger the Auth0
// Action the script exports for it, whose event is the context part and
// whose secrets are the environment variables.
export function run(tokenJSON, contextJSON, envJSON, jti, trigger) {
  const cur = beginRun();
  // Only an Action has a CommonJS module; for getCustomJwtClaims,
  // exports and module stay undefined.
  const mod = trigger ? { exports: {} } : undefined;
  let fn;
  try {
    fn = factory(mod && mod.exports, mod);
  } catch (e) {
    settleError(cur, e);
    return;
  }
  if (trigger) {
    let action;
    try {
      action = actionOf(mod, trigger);
    } catch (e) {
      settleError(cur, e);
      return;
    }
    if (typeof action !== 'function') {
      finish(cur, 'error', jsonStringify({ message: action }));
      return;
    }
    try {
      runAction(cur, action, trigger, contextJSON, envJSON);
    } catch (e) {
      settleError(cur, e);
    }
    return;
  }
  if (typeof fn !== 'function') {
    finish(cur, 'error', jsonStringify({ message: 'the script must define a function named getCustomJwtClaims' }));
    return;
  }
  let p;
  try {
    p = fn(new ScriptArg(cur, tokenJSON, contextJSON, envJSON, jti));
  } catch (e) {
    settleError(cur, e);
    return;
  }
  try {
    apply(promiseThen, promiseResolve(p), [(v) => settleValue(cur, v), (e) => settleError(cur, e)]);
  } catch (e) {
    settleError(cur, e);
  }
}

export function deliver(id, kind, meta, body) {
  const cur = st;
  if (!cur || cur.done) return;
  if (kind === 1) {
    fireTimer(cur, id);
    return;
  }
  const e = cur.fetches && cur.fetches.get(id);
  if (!e) return;
  cur.fetches.delete(id);
  if (e.signal) e.signal.removeEventListener('abort', e.onAbort);
  if (kind === 2) {
    let r;
    try {
      r = newResponse(body, jsonParse(meta));
    } catch (err) {
      e.reject(err);
      return;
    }
    e.resolve(r);
  } else {
    e.reject(new TypeError('fetch failed: ' + meta));
  }
}
