// setTimeout, setInterval, their clear* and queueMicrotask: the host keeps
// the clock and fires them.

import { apply, define, H, promiseResolve, promiseThen } from './prelude.js';
import { st } from './state.js';
import { uncaught } from './settle.js';

const TIMEOUT_MAX = 2147483647;

export function startTimer(fn, ms, args, repeat) {
  const cur = st;
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  if (!cur || cur.done) return 0;
  ms = Number(ms);
  if (!(ms >= 1 && ms <= TIMEOUT_MAX)) ms = 1;
  const id = cur.nextId++;
  H.timer(id, ms);
  (cur.timers || (cur.timers = new Map())).set(id, { fn, args, ms, repeat });
  return id;
}

function stopTimer(id) {
  const cur = st;
  if (!cur || typeof id !== 'number') return;
  if (cur.timers && cur.timers.delete(id)) H.cancel(id);
}

export function fireTimer(cur, id) {
  const t = cur.timers && cur.timers.get(id);
  if (!t) return;
  if (t.repeat) H.timer(id, t.ms);
  else cur.timers.delete(id);
  try {
    apply(t.fn, undefined, t.args);
  } catch (e) {
    uncaught(e);
  }
}

define('setTimeout', function setTimeout(fn, ms, ...args) { return startTimer(fn, ms, args, false); });
define('setInterval', function setInterval(fn, ms, ...args) { return startTimer(fn, ms, args, true); });
define('clearTimeout', function clearTimeout(id) { stopTimer(id); });
define('clearInterval', function clearInterval(id) { stopTimer(id); });
define('queueMicrotask', function queueMicrotask(fn) {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  apply(promiseThen, promiseResolve(undefined), [() => {
    try {
      fn();
    } catch (e) {
      uncaught(e);
    }
  }]);
});
