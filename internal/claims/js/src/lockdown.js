// The lockdown. Every object reachable from the global object, and the
// intrinsics reachable only from syntax, is frozen, so a run cannot leave
// state behind for the next one. Walking the object graph costs milliseconds
// in this interpreter, so the host walks it once per process (planLockdown, in
// a VM of its own) and compiles the result into lockdownObjects: straight-line
// code that each VM replays.

import { defineProperty, freeze, G, getOwnPropertyDescriptor, getPrototypeOf, hasOwn, jsonStringify, ownKeys } from './prelude.js';
import { api, ScriptArg } from './run.js';

const WELL_KNOWN = ['asyncIterator', 'hasInstance', 'isConcatSpreadable', 'iterator', 'match', 'matchAll', 'replace', 'search', 'species', 'split', 'toPrimitive', 'toStringTag', 'unscopables'];

// Objects reachable from syntax only, in a fixed order.
function anonymousRoots() {
  const roots = [
    G,
    getPrototypeOf(function* () {}),
    getPrototypeOf(async function () {}),
    getPrototypeOf(async function* () {}),
    getPrototypeOf(async () => {}),
    getPrototypeOf([][Symbol.iterator]()),
    getPrototypeOf(new Map()[Symbol.iterator]()),
    getPrototypeOf(new Set()[Symbol.iterator]()),
    getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf(/x/[Symbol.matchAll]('')),
    getPrototypeOf(getPrototypeOf((function* () {})())),
    getPrototypeOf(getPrototypeOf((async function* () {})())),
    getOwnPropertyDescriptor((function () { return arguments; })(), 'callee').get,
    // Reachable from every run, not from the global object.
    api,
    ScriptArg,
  ];
  if (typeof Iterator === 'function') {
    roots.push(getPrototypeOf(Iterator.from({ next() { return { done: true }; } })));
    roots.push(getPrototypeOf([].values().map((x) => x)));
  }
  return roots;
}

// Data properties that code commonly assigns on instances (this.name = ... in
// an Error subclass). On a frozen prototype such an assignment would fail, so
// they become accessors whose setter defines the property on the instance.
const OVERRIDABLE = ['constructor', 'toString', 'valueOf', 'toLocaleString', 'toJSON', 'name', 'message', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable'];

// Walks the object graph and returns the body of lockdownObjects: a[i] is
// computed from an earlier a[j] by a data property (a plain read: no getter
// runs), an accessor (D) or the prototype (P); T tames an override.
export function planLockdown() {
  const roots = anonymousRoots();
  const index = new Map();
  const queue = [];
  const lines = [];
  const keyExpr = (k) => {
    if (typeof k === 'string') return jsonStringify(k);
    const w = WELL_KNOWN.find((n) => Symbol[n] === k);
    if (!w) throw new Error('lockdown: unexpected symbol key ' + String(k));
    return 'Symbol.' + w;
  };
  const visit = (o, expr) => {
    if (o === null || (typeof o !== 'object' && typeof o !== 'function') || index.has(o)) return;
    const i = roots.length + lines.length;
    index.set(o, i);
    lines.push('a[' + i + ']=' + expr + ';');
    queue.push(o);
  };
  roots.forEach((o, i) => {
    index.set(o, i);
    queue.push(o);
  });
  const overrides = [];
  for (let q = 0; q < queue.length; q++) {
    const o = queue[q];
    const ref = 'a[' + index.get(o) + ']';
    visit(getPrototypeOf(o), 'P(' + ref + ')');
    for (const k of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      if ('value' in d) visit(d.value, ref + '[' + keyExpr(k) + ']');
      else {
        visit(d.get, 'D(' + ref + ',' + keyExpr(k) + ').get');
        visit(d.set, 'D(' + ref + ',' + keyExpr(k) + ').set');
      }
      if (typeof k === 'string' && OVERRIDABLE.includes(k) && 'value' in d && d.writable && d.configurable && hasOwn(o, 'constructor')) {
        overrides.push('T(' + ref + ',' + jsonStringify(k) + ');');
      }
    }
  }
  // The count lets each VM check that it froze what was planned (T adds a
  // getter and a setter).
  return lines.join('\n') + '\n' + overrides.join('\n') + '\nreturn ' + (roots.length + lines.length + 2 * overrides.length) + ';';
}

// Replaced by the host with the output of planLockdown.
function lockdownObjects(a, D, P, T) {
  /*!@LOCKDOWN@*/
  return -1;
}

function tameOverride(all, obj, key) {
  const d = getOwnPropertyDescriptor(obj, key);
  const value = d.value;
  const acc = {
    get() {
      return value;
    },
    set(v) {
      if (this === obj) throw new TypeError(`Cannot assign to read only property '${key}' of a built-in object`);
      if (this === null || (typeof this !== 'object' && typeof this !== 'function')) return;
      defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
    },
  };
  defineProperty(obj, key, { get: acc.get, set: acc.set, enumerable: d.enumerable, configurable: false });
  all.push(acc.get, acc.set);
}

export function applyLockdown() {
  const all = anonymousRoots();
  const n = lockdownObjects(all, getOwnPropertyDescriptor, getPrototypeOf, (o, k) => tameOverride(all, o, k));
  if (all.length !== n) throw new Error('lockdown: plan does not match');
  for (let i = 0; i < all.length; i++) {
    const o = all[i];
    if (o === null || (typeof o !== 'object' && typeof o !== 'function')) throw new Error('lockdown: plan does not match at ' + i);
    freeze(o);
  }
}
