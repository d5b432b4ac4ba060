// The host functions and the built-ins the runtime captures before any
// script runs.
//
// The host functions (__mb*) are captured here and removed from the global
// object, so scripts cannot call them directly.

export const G = globalThis;
export const H = {
  done: G.__mbDone,
  log: G.__mbLog,
  fetch: G.__mbFetch,
  timer: G.__mbTimer,
  cancel: G.__mbCancel,
  random: G.__mbRandom,
};
for (const k of ['__mbDone', '__mbLog', '__mbFetch', '__mbTimer', '__mbCancel', '__mbRandom']) {
  delete G[k];
}
// Their callbacks could run during a later run, after garbage collection.
delete G.WeakRef;
delete G.FinalizationRegistry;

// Captured before user code exists; everything is frozen afterwards anyway.
export const { freeze, defineProperty, getOwnPropertyDescriptor, getPrototypeOf, keys: objectKeys, hasOwn } = Object;
export const ownKeys = Reflect.ownKeys;
export const apply = Reflect.apply;
export const jsonParse = JSON.parse;
export const jsonStringify = JSON.stringify;
export const isArray = Array.isArray;
export const fromCharCode = String.fromCharCode;
export const promiseResolve = (v) => Promise.resolve(v);
export const promiseThen = Promise.prototype.then;
export const mathMin = Math.min;

export const define = (name, value) =>
  defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false });
