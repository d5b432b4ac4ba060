// Auth0 Actions: a script that assigns exports.onExecutePostLogin or
// exports.onExecuteCredentialsExchange is called as Auth0 calls it, with
// (event, api), and settles with the claims it set on each token.

import { apply, defineProperty, freeze, jsonParse, jsonStringify, promiseResolve, promiseThen } from './prelude.js';
import { clip, finish, maxOutput, READ_CONTEXT, READ_ENV, st } from './state.js';
import { settleError } from './settle.js';

export const POST_LOGIN = 'onExecutePostLogin';
export const CREDENTIALS_EXCHANGE = 'onExecuteCredentialsExchange';

// The OAuth error codes a credentials-exchange Action may deny with.
const DENY_CODES = freeze(['invalid_scope', 'invalid_request', 'server_error']);

// actionOf is the function the script exported for trigger, or a string
// saying why there is none.
export function actionOf(mod, trigger) {
  const ex = mod.exports;
  const f = ex !== null && (typeof ex === 'object' || typeof ex === 'function') ? ex[trigger] : undefined;
  return typeof f === 'function' ? f : 'the Action must assign a function to exports.' + trigger;
}

const unsupported = (name) =>
  function () {
    throw new Error(name + ' is not supported');
  };

// runAction calls fn(event, api). The event is the input's context part,
// with event.secrets the environment variables, parsed when first read.
export function runAction(cur, fn, trigger, eventJSON, secretsJSON) {
  cur.reads |= READ_CONTEXT;
  const event = jsonParse(eventJSON);
  let secrets;
  defineProperty(event, 'secrets', {
    get() {
      if (secrets === undefined) {
        cur.reads |= READ_ENV;
        secrets = jsonParse(secretsJSON);
      }
      return secrets;
    },
    set(v) {
      defineProperty(this, 'secrets', { value: v, writable: true, enumerable: true, configurable: true });
    },
    enumerable: true,
    configurable: true,
  });
  // Claims go into objects without a prototype, so that every name,
  // __proto__ included, is an own property the host sees (and drops).
  const access = { __proto__: null };
  const id = { __proto__: null };
  const api = {};
  const live = () => cur === st && !cur.done && !cur.denied;
  const setter = (target) =>
    function setCustomClaim(name, value) {
      if (live()) target[String(name)] = value;
      return api;
    };
  const deny = (code, reason) => {
    if (live()) {
      cur.denied = true;
      cur.denyCode = code;
      cur.denyMessage = reason === undefined || reason === null ? '' : clip(String(reason), 1024);
    }
    return api;
  };
  if (trigger === CREDENTIALS_EXCHANGE) {
    api.access = freeze({
      deny(code, reason) {
        if (!DENY_CODES.includes(code)) {
          throw new TypeError('api.access.deny: code must be one of ' + DENY_CODES.join(', '));
        }
        return deny(code, reason);
      },
    });
  } else {
    api.access = freeze({ deny: (reason) => deny('access_denied', reason) });
    api.idToken = freeze({ setCustomClaim: setter(id) });
  }
  api.accessToken = freeze({
    setCustomClaim: setter(access),
    addScope: unsupported('api.accessToken.addScope'),
    removeScope: unsupported('api.accessToken.removeScope'),
  });
  freeze(api);
  let p;
  try {
    p = fn(event, api);
  } catch (e) {
    settleError(cur, e);
    return;
  }
  try {
    apply(promiseThen, promiseResolve(p), [() => settleAction(cur, access, id), (e) => settleError(cur, e)]);
  } catch (e) {
    settleError(cur, e);
  }
}

function settleAction(cur, access, id) {
  if (cur !== st || cur.done) return;
  if (cur.denied) {
    settleError(cur, null);
    return;
  }
  let s;
  try {
    s = jsonStringify({ accessToken: access, idToken: id });
  } catch (e) {
    settleError(cur, e);
    return;
  }
  if (s.length > maxOutput) {
    finish(cur, 'output', String(s.length));
    return;
  }
  finish(cur, 'action', s);
}
