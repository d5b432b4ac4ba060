// console: log, info, debug, warn and error, reported to the host.

import { define, freeze, H, jsonStringify } from './prelude.js';
import { clip, maxLog, st } from './state.js';

export function formatArg(v, top) {
  switch (typeof v) {
    case 'string':
      return top ? v : jsonStringify(v);
    case 'undefined':
      return 'undefined';
    case 'function':
      return '[Function: ' + (v.name || '(anonymous)') + ']';
    case 'symbol':
      return v.toString();
    case 'bigint':
      return v + 'n';
    case 'number':
    case 'boolean':
      return String(v);
  }
  if (v === null) return 'null';
  if (v instanceof Error) {
    const s = v.stack;
    return String(v.name) + ': ' + String(v.message) + (typeof s === 'string' && s ? '\n' + s : '');
  }
  try {
    const s = jsonStringify(v, (k, x) => (typeof x === 'bigint' ? x + 'n' : x));
    return s === undefined ? String(v) : s;
  } catch (_) {
    return '[object]';
  }
}

function makeLogger(level) {
  return function (...args) {
    const cur = st;
    if (!cur || cur.done || cur.logFull) return;
    let s = '';
    try {
      for (let i = 0; i < args.length; i++) {
        if (i) s += ' ';
        s += formatArg(args[i], true);
        if (s.length > maxLog) break;
      }
    } catch (_) {
      s = '[not printable]';
    }
    if (!H.log(level, clip(s, maxLog))) cur.logFull = true;
  };
}

define(
  'console',
  freeze({
    log: makeLogger(0),
    info: makeLogger(1),
    debug: makeLogger(0),
    warn: makeLogger(2),
    error: makeLogger(3),
  }),
);
