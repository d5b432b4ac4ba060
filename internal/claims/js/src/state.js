// Per-run state: the run in progress, what its result depends on, and how
// it settles with the host.

import { apply, define, defineProperty, H } from './prelude.js';

export let factory = null; // evaluates the script in a fresh scope, returns getCustomJwtClaims
export let maxOutput = 16384;
export let maxLog = 16384;
export let st = null; // state of the current run

const newState = () => ({
  done: false,
  denied: false,
  denyMessage: '',
  denyCode: '', // an Auth0 Action's OAuth error code
  nextId: 1,
  timers: null, // Maps, made by the first timer or fetch
  fetches: null,
  logFull: false,
  reads: 0, // READ_* bits: the parts of the input the script read
  volatile: false, // it read the clock or drew random numbers
});

// beginRun starts a run: its state becomes the current one.
export const beginRun = () => {
  st = newState();
  return st;
};

// configure sets what setup gives every run: the script and the limits.
export function configure(f, out, log) {
  factory = f;
  maxOutput = out;
  maxLog = log;
}

// What a run's result depends on, reported to the host when it settles: a
// result that depends only on the parts of the input it read is reused
// for the same parts (see memo.go). The host notes fetches, timers and
// random bytes itself.
export const READ_TOKEN = 1;
export const READ_CONTEXT = 2;
export const READ_ENV = 4;
export const READ_JTI = 8; // unique to each token: the result is not reusable
const VOLATILE = 16;

const markVolatile = () => {
  if (st) st.volatile = true;
};

// The clock and Math.random are the engine's own sources of change: each
// marks the run. The Date seen by scripts is the engine's behind a proxy,
// so instances, subclasses and statics are unchanged.
{
  // Replaces obj[name], a function of no arguments, by one that marks the
  // run first; a method, so it is named and constructs nothing, as the
  // built-in.
  const marking = (obj, name) => {
    const f = obj[name];
    const value = {
      [name]() {
        markVolatile();
        return apply(f, obj, []);
      },
    }[name];
    defineProperty(obj, name, { value, writable: true, configurable: true, enumerable: false });
  };
  const EngineDate = Date;
  marking(EngineDate, 'now');
  marking(Math, 'random');
  const construct = Reflect.construct;
  const ScriptDate = new Proxy(EngineDate, {
    apply() {
      markVolatile();
      return EngineDate();
    },
    construct(target, args, newTarget) {
      if (args.length === 0) markVolatile();
      return construct(target, args, newTarget);
    },
  });
  defineProperty(EngineDate.prototype, 'constructor', { value: ScriptDate, writable: true, configurable: true, enumerable: false });
  define('Date', ScriptDate);
}

export function finish(cur, kind, payload) {
  if (cur.done) return;
  cur.done = true;
  // Nothing of this run is called any more; let its callbacks go.
  if (cur.timers) cur.timers.clear();
  if (cur.fetches) cur.fetches.clear();
  H.done(kind, payload, cur.reads | (cur.volatile ? VOLATILE : 0));
}

export const clip = (s, n) => (s.length > n ? s.slice(0, n) : s);
