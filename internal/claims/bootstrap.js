// Runtime of a claims VM: the web globals scripts may use, the harness that
// runs getCustomJwtClaims, and the lockdown that freezes every built-in.
//
// It runs once per VM, before any script, and evaluates to the harness
// function, which only the host can reach. The host functions (__mb*) are
// captured here and removed from the global object, so scripts cannot call
// them directly.
(function () {
  'use strict';

  const G = globalThis;
  const H = {
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
  const { freeze, defineProperty, getOwnPropertyDescriptor, getPrototypeOf, keys: objectKeys, hasOwn } = Object;
  const ownKeys = Reflect.ownKeys;
  const apply = Reflect.apply;
  const jsonParse = JSON.parse;
  const jsonStringify = JSON.stringify;
  const isArray = Array.isArray;
  const fromCharCode = String.fromCharCode;
  const promiseResolve = (v) => Promise.resolve(v);
  const promiseThen = Promise.prototype.then;
  const mathMin = Math.min;

  const define = (name, value) =>
    defineProperty(G, name, { value, writable: true, configurable: true, enumerable: false });

  // ---- per-run state -------------------------------------------------------

  let factory = null; // evaluates the script in a fresh scope, returns getCustomJwtClaims
  let maxOutput = 16384;
  let maxLog = 16384;
  let st = null; // state of the current run

  const newState = () => ({
    done: false,
    denied: false,
    denyMessage: '',
    nextId: 1,
    timers: null, // Maps, made by the first timer or fetch
    fetches: null,
    logFull: false,
    reads: 0, // READ_* bits: the parts of the input the script read
    volatile: false, // it read the clock or drew random numbers
  });

  // What a run's result depends on, reported to the host when it settles: a
  // result that depends only on the parts of the input it read is reused
  // for the same parts (see memo.go). The host notes fetches, timers and
  // random bytes itself.
  const READ_TOKEN = 1;
  const READ_CONTEXT = 2;
  const READ_ENV = 4;
  const READ_JTI = 8; // unique to each token: the result is not reusable
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

  function finish(cur, kind, payload) {
    if (cur.done) return;
    cur.done = true;
    // Nothing of this run is called any more; let its callbacks go.
    if (cur.timers) cur.timers.clear();
    if (cur.fetches) cur.fetches.clear();
    H.done(kind, payload, cur.reads | (cur.volatile ? VOLATILE : 0));
  }

  const clip = (s, n) => (s.length > n ? s.slice(0, n) : s);

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

  function settleError(cur, e) {
    if (cur !== st || cur.done) return;
    if (cur.denied) finish(cur, 'denied', cur.denyMessage);
    else finish(cur, 'error', describeError(e));
  }

  function settleValue(cur, v) {
    if (cur !== st || cur.done) return;
    if (cur.denied) {
      finish(cur, 'denied', cur.denyMessage);
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
  const uncaught = (e) => {
    if (st) settleError(st, e);
  };

  // api is the same object in every run; it acts on the run in progress.
  const api = freeze({
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
  class ScriptArg {
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
    get context() {
      const x = this.#context;
      if (typeof x !== 'string') return x.v;
      this.#cur.reads |= READ_CONTEXT;
      return (this.#context = { v: jsonParse(x) }).v;
    }
    set context(v) {
      this.#context = { v };
    }
    get environmentVariables() {
      const x = this.#env;
      if (typeof x !== 'string') return x.v;
      this.#cur.reads |= READ_ENV;
      return (this.#env = { v: jsonParse(x) }).v;
    }
    set environmentVariables(v) {
      this.#env = { v };
    }
    toJSON() {
      return { token: this.token, context: this.context, environmentVariables: this.environmentVariables, api: this.api };
    }
  }

  function run(tokenJSON, contextJSON, envJSON, jti) {
    const cur = newState();
    st = cur;
    let fn;
    try {
      fn = factory();
    } catch (e) {
      settleError(cur, e);
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

  function deliver(id, kind, meta, body) {
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

  // ---- console -------------------------------------------------------------

  function formatArg(v, top) {
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

  // ---- DOMException, Event, EventTarget --------------------------------------

  let setEventTarget;

  const DOM_CODES = {
    IndexSizeError: 1, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12,
    InvalidCharacterError: 5, NetworkError: 19, AbortError: 20, QuotaExceededError: 22, TimeoutError: 23,
    TypeMismatchError: 17, DataCloneError: 25,
  };

  class DOMException extends Error {
    constructor(message = '', name = 'Error') {
      super(String(message));
      defineProperty(this, 'name', { value: String(name), writable: true, configurable: true });
      defineProperty(this, 'code', { value: DOM_CODES[String(name)] || 0, configurable: true });
    }
  }
  define('DOMException', DOMException);

  class Event {
    #type;
    #target = null;
    #defaultPrevented = false;
    constructor(type) {
      if (arguments.length === 0) throw new TypeError("Event constructor requires 'type'");
      this.#type = String(type);
    }
    get type() { return this.#type; }
    get target() { return this.#target; }
    get currentTarget() { return this.#target; }
    get defaultPrevented() { return this.#defaultPrevented; }
    preventDefault() { this.#defaultPrevented = true; }
    stopPropagation() {}
    stopImmediatePropagation() {}
    static {
      setEventTarget = (ev, t) => { ev.#target = t; };
    }
  }
  define('Event', Event);

  class EventTarget {
    #listeners = new Map();
    addEventListener(type, listener, options) {
      if (listener === null || listener === undefined) return;
      type = String(type);
      let list = this.#listeners.get(type);
      if (!list) this.#listeners.set(type, (list = []));
      for (const l of list) if (l.listener === listener) return;
      const once = options !== null && typeof options === 'object' && !!options.once;
      list.push({ listener, once });
    }
    removeEventListener(type, listener) {
      const list = this.#listeners.get(String(type));
      if (!list) return;
      const i = list.findIndex((l) => l.listener === listener);
      if (i >= 0) list.splice(i, 1);
    }
    dispatchEvent(event) {
      if (!(event instanceof Event)) throw new TypeError('dispatchEvent requires an Event');
      setEventTarget(event, this);
      const handler = this['on' + event.type];
      const list = (this.#listeners.get(event.type) || []).slice();
      const call = (f) => {
        try {
          if (typeof f === 'function') apply(f, this, [event]);
          else if (f && typeof f.handleEvent === 'function') f.handleEvent(event);
        } catch (e) {
          uncaught(e);
        }
      };
      if (typeof handler === 'function') call(handler);
      for (const l of list) {
        if (l.once) this.removeEventListener(event.type, l.listener);
        call(l.listener);
      }
      return !event.defaultPrevented;
    }
  }
  define('EventTarget', EventTarget);

  // ---- timers --------------------------------------------------------------

  const TIMEOUT_MAX = 2147483647;

  function startTimer(fn, ms, args, repeat) {
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

  function fireTimer(cur, id) {
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

  // ---- AbortController / AbortSignal ----------------------------------------

  const SIGNAL_KEY = {};
  let signalAbort;

  class AbortSignal extends EventTarget {
    #aborted = false;
    #reason = undefined;
    onabort = null;
    constructor(key) {
      if (key !== SIGNAL_KEY) throw new TypeError('Illegal constructor');
      super();
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() {
      if (this.#aborted) throw this.#reason;
    }
    static abort(reason) {
      const s = new AbortSignal(SIGNAL_KEY);
      signalAbort(s, reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason);
      return s;
    }
    static timeout(ms) {
      const s = new AbortSignal(SIGNAL_KEY);
      startTimer(() => signalAbort(s, new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms, [], false);
      return s;
    }
    static any(signals) {
      const s = new AbortSignal(SIGNAL_KEY);
      const list = [...signals];
      for (const x of list) {
        if (!(x instanceof AbortSignal)) throw new TypeError('AbortSignal.any requires AbortSignal objects');
        if (x.aborted) {
          signalAbort(s, x.reason);
          return s;
        }
      }
      for (const x of list) x.addEventListener('abort', () => signalAbort(s, x.reason), { once: true });
      return s;
    }
    static {
      signalAbort = (s, reason) => {
        if (s.#aborted) return;
        s.#aborted = true;
        s.#reason = reason;
        s.dispatchEvent(new Event('abort'));
      };
    }
  }
  define('AbortSignal', AbortSignal);

  class AbortController {
    #signal = new AbortSignal(SIGNAL_KEY);
    get signal() { return this.#signal; }
    abort(reason) {
      signalAbort(this.#signal, reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason);
    }
  }
  define('AbortController', AbortController);

  // ---- UTF-8 and base64 ----------------------------------------------------------

  function utf8Encode(str) {
    const out = new Uint8Array(str.length * 3);
    let j = 0;
    for (let i = 0; i < str.length; i++) {
      let c = str.charCodeAt(i);
      if (c < 0x80) {
        out[j++] = c;
        continue;
      }
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
        const d = str.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x800) {
        out[j++] = 0xc0 | (c >> 6);
        out[j++] = 0x80 | (c & 63);
      } else if (c < 0x10000) {
        out[j++] = 0xe0 | (c >> 12);
        out[j++] = 0x80 | ((c >> 6) & 63);
        out[j++] = 0x80 | (c & 63);
      } else {
        out[j++] = 0xf0 | (c >> 18);
        out[j++] = 0x80 | ((c >> 12) & 63);
        out[j++] = 0x80 | ((c >> 6) & 63);
        out[j++] = 0x80 | (c & 63);
      }
    }
    return out.slice(0, j);
  }

  // Code units are collected in chunks: String.fromCharCode with a huge
  // argument list would overflow the stack.
  function unitsToString(units, n) {
    let s = '';
    for (let i = 0; i < n; i += 8192) s += apply(fromCharCode, null, units.subarray(i, mathMin(n, i + 8192)));
    return s;
  }

  function utf8Decode(b, fatal) {
    const n = b.length;
    const units = new Uint16Array(n + 1);
    let j = 0;
    let i = 0;
    while (i < n) {
      const c = b[i];
      let cp;
      if (c < 0x80) {
        cp = c;
        i++;
      } else {
        let need = 0;
        let lower = 0x80;
        let upper = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
          need = 1;
          cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
          need = 2;
          cp = c & 0xf;
          if (c === 0xe0) lower = 0xa0;
          if (c === 0xed) upper = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
          need = 3;
          cp = c & 7;
          if (c === 0xf0) lower = 0x90;
          if (c === 0xf4) upper = 0x8f;
        }
        i++;
        let k = 0;
        if (need) {
          for (; k < need; k++) {
            if (i >= n) break;
            const d = b[i];
            if (d < lower || d > upper) break;
            lower = 0x80;
            upper = 0xbf;
            cp = (cp << 6) | (d & 0x3f);
            i++;
          }
        }
        if (!need || k < need) {
          if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8');
          cp = 0xfffd;
        }
      }
      if (cp < 0x10000) units[j++] = cp;
      else {
        cp -= 0x10000;
        units[j++] = 0xd800 + (cp >> 10);
        units[j++] = 0xdc00 + (cp & 0x3ff);
      }
    }
    return unitsToString(units, j);
  }

  function toBytes(input) {
    if (input instanceof ArrayBuffer) return new Uint8Array(input);
    if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    throw new TypeError('The "input" argument must be an ArrayBuffer or ArrayBufferView');
  }

  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const B64_INDEX = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

  // Encodes 0..255 values given by at(i) for i < n.
  function encodeBase64(n, at) {
    let s = '';
    let chunk = '';
    for (let i = 0; i < n; i += 3) {
      const a = at(i);
      const b = i + 1 < n ? at(i + 1) : 0;
      const c = i + 2 < n ? at(i + 2) : 0;
      chunk += B64[a >> 2] + B64[((a & 3) << 4) | (b >> 4)] + (i + 1 < n ? B64[((b & 15) << 2) | (c >> 6)] : '=') + (i + 2 < n ? B64[c & 63] : '=');
      if (chunk.length >= 8192) {
        s += chunk;
        chunk = '';
      }
    }
    return s + chunk;
  }

  // Returns the decoded bytes, or null when s is not valid base64.
  function decodeBase64(s) {
    s = s.replace(/[\t\n\f\r ]+/g, '');
    if (s.length % 4 === 0) s = s.replace(/==?$/, '');
    if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) return null;
    const out = new Uint8Array((s.length * 3) >> 2);
    let j = 0;
    let bits = 0;
    let acc = 0;
    for (let i = 0; i < s.length; i++) {
      acc = (acc << 6) | B64_INDEX[s.charCodeAt(i)];
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[j++] = (acc >> bits) & 255;
      }
    }
    return out.subarray(0, j);
  }

  define('btoa', function btoa(data) {
    if (arguments.length === 0) throw new TypeError('1 argument required, but only 0 present.');
    const s = String(data);
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 255) throw new DOMException('Invalid character', 'InvalidCharacterError');
    }
    return encodeBase64(s.length, (i) => s.charCodeAt(i));
  });

  define('atob', function atob(data) {
    if (arguments.length === 0) throw new TypeError('1 argument required, but only 0 present.');
    const b = decodeBase64(String(data));
    if (b === null) throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError');
    const units = new Uint16Array(b.length);
    units.set(b);
    return unitsToString(units, b.length);
  });

  const UTF8_LABELS = ['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'];

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') { return utf8Encode(String(input)); }
    encodeInto(src, dest) {
      if (!(dest instanceof Uint8Array)) throw new TypeError('The "dest" argument must be a Uint8Array');
      src = String(src);
      let read = 0;
      let written = 0;
      for (let i = 0; i < src.length; ) {
        const c = src.charCodeAt(i);
        const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < src.length && src.charCodeAt(i + 1) >= 0xdc00 && src.charCodeAt(i + 1) <= 0xdfff;
        const units = pair ? 2 : 1;
        const bytes = utf8Encode(src.slice(i, i + units));
        if (written + bytes.length > dest.length) break;
        dest.set(bytes, written);
        written += bytes.length;
        read += units;
        i += units;
      }
      return { read, written };
    }
  }
  define('TextEncoder', TextEncoder);

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    constructor(label = 'utf-8', options = {}) {
      const l = String(label).trim().toLowerCase();
      if (!UTF8_LABELS.includes(l)) throw new RangeError(`The "${label}" encoding is not supported`);
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input) {
      if (input === undefined) return '';
      let b = toBytes(input);
      if (!this.#ignoreBOM && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
      return utf8Decode(b, this.#fatal);
    }
  }
  define('TextDecoder', TextDecoder);

  // ---- crypto --------------------------------------------------------------------

  const hexByte = (h, i) => parseInt(h.substr(2 * i, 2), 16);

  define(
    'crypto',
    freeze({
      randomUUID() {
        const h = H.random(16);
        const variant = ((parseInt(h[16], 16) & 3) | 8).toString(16);
        return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
      },
      getRandomValues(arr) {
        if (!ArrayBuffer.isView(arr) || arr instanceof DataView || arr instanceof Float32Array || arr instanceof Float64Array) {
          throw new DOMException('The data argument must be an integer-type TypedArray', 'TypeMismatchError');
        }
        if (arr.byteLength > 65536) throw new DOMException('The requested length exceeds 65,536 bytes', 'QuotaExceededError');
        const h = H.random(arr.byteLength);
        const u8 = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
        for (let i = 0; i < u8.length; i++) u8[i] = hexByte(h, i);
        return arr;
      },
    }),
  );

  // ---- URL and URLSearchParams (WHATWG URL, without IDNA mapping tables) -----------

  const SPECIAL_PORTS = new Map([['ftp:', '21'], ['file:', ''], ['http:', '80'], ['https:', '443'], ['ws:', '80'], ['wss:', '443']]);
  const isSpecial = (protocol) => SPECIAL_PORTS.has(protocol);

  // Percent-encode sets as bit flags over ASCII; every set holds C0 controls and
  // all non-ASCII code points.
  const S_C0 = 1, S_FRAGMENT = 2, S_QUERY = 4, S_SPECIAL_QUERY = 8, S_PATH = 16, S_USERINFO = 32, S_COMPONENT = 64, S_FORM = 128;
  const SETS = new Uint8Array(128);
  (() => {
    const add = (chars, flags) => {
      for (const ch of chars) SETS[ch.charCodeAt(0)] |= flags;
    };
    for (let c = 0; c < 0x20; c++) SETS[c] = 255;
    SETS[0x7f] = 255;
    const fromQuery = S_QUERY | S_SPECIAL_QUERY | S_PATH | S_USERINFO | S_COMPONENT | S_FORM;
    const fromPath = S_PATH | S_USERINFO | S_COMPONENT | S_FORM;
    const fromUserinfo = S_USERINFO | S_COMPONENT | S_FORM;
    add(' "<>', S_FRAGMENT | fromQuery);
    add('`', S_FRAGMENT | fromPath);
    add('#', fromQuery);
    add("'", S_SPECIAL_QUERY | S_FORM);
    add('?^{}', fromPath);
    add('/:;=@[\\]|', fromUserinfo);
    add('$%&+,', S_COMPONENT | S_FORM);
    add("!'()~", S_FORM);
  })();
  const HEX = '0123456789ABCDEF';

  function percentEncode(str, set) {
    let out = '';
    let plain = 0;
    for (let i = 0; i < str.length; i++) {
      const c = str.charCodeAt(i);
      if (c < 0x80 && !(SETS[c] & set)) continue;
      out += str.slice(plain, i);
      if (c < 0x80) {
        out += '%' + HEX[c >> 4] + HEX[c & 15];
        plain = i + 1;
        continue;
      }
      const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < str.length && str.charCodeAt(i + 1) >= 0xdc00 && str.charCodeAt(i + 1) <= 0xdfff;
      const bytes = utf8Encode(str.slice(i, i + (pair ? 2 : 1)));
      for (let k = 0; k < bytes.length; k++) out += '%' + HEX[bytes[k] >> 4] + HEX[bytes[k] & 15];
      if (pair) i++;
      plain = i + 1;
    }
    return plain === 0 ? str : out + str.slice(plain);
  }

  const isHex = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

  function percentDecode(str) {
    if (str.indexOf('%') < 0) return str;
    const b = utf8Encode(str);
    const out = new Uint8Array(b.length);
    let j = 0;
    for (let i = 0; i < b.length; i++) {
      if (b[i] === 37 && i + 2 < b.length && isHex(b[i + 1]) && isHex(b[i + 2])) {
        out[j++] = parseInt(fromCharCode(b[i + 1], b[i + 2]), 16);
        i += 2;
      } else out[j++] = b[i];
    }
    return utf8Decode(out.subarray(0, j), false);
  }

  // RFC 3492 encoding of one label.
  function punycode(label) {
    const cps = [...label].map((ch) => ch.codePointAt(0));
    let out = '';
    for (const c of cps) if (c < 0x80) out += fromCharCode(c);
    const basic = out.length;
    let h = basic;
    if (basic) out += '-';
    let n = 128;
    let delta = 0;
    let bias = 72;
    const digit = (d) => fromCharCode(d + 22 + 75 * (d < 26));
    const adapt = (d, numPoints, first) => {
      d = first ? Math.floor(d / 700) : d >> 1;
      d += Math.floor(d / numPoints);
      let k = 0;
      while (d > 455) {
        d = Math.floor(d / 35);
        k += 36;
      }
      return k + Math.floor((36 * d) / (d + 38));
    };
    while (h < cps.length) {
      let m = Infinity;
      for (const c of cps) if (c >= n && c < m) m = c;
      delta += (m - n) * (h + 1);
      n = m;
      for (const c of cps) {
        if (c < n) delta++;
        if (c === n) {
          let q = delta;
          for (let k = 36; ; k += 36) {
            const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
            if (q < t) break;
            out += digit(t + ((q - t) % (36 - t)));
            q = Math.floor((q - t) / (36 - t));
          }
          out += digit(q);
          bias = adapt(delta, h + 1, h === basic);
          delta = 0;
          h++;
        }
      }
      delta++;
      n++;
    }
    return out;
  }

  function domainToASCII(domain) {
    const labels = domain.normalize('NFC').toLowerCase().split(/[.\u3002\uff0e\uff61]/);
    return labels.map((l) => (/[^\x00-\x7f]/.test(l) ? 'xn--' + punycode(l) : l)).join('.');
  }

  function parseIPv4Number(s) {
    if (s === '') return NaN;
    let radix = 10;
    if (s.length >= 2 && (s.startsWith('0x') || s.startsWith('0X'))) {
      s = s.slice(2);
      radix = 16;
    } else if (s.length >= 2 && s[0] === '0') {
      s = s.slice(1);
      radix = 8;
    }
    if (s === '') return 0;
    const re = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
    return re.test(s) ? parseInt(s, radix) : NaN;
  }

  function endsInNumber(host) {
    const parts = host.split('.');
    if (parts[parts.length - 1] === '') {
      if (parts.length === 1) return false;
      parts.pop();
    }
    const last = parts[parts.length - 1];
    return /^[0-9]+$/.test(last) || /^0[xX][0-9a-fA-F]*$/.test(last);
  }

  // Returns the dotted form, or null when host is not a valid IPv4 address.
  function parseIPv4(host) {
    const parts = host.split('.');
    if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
    if (parts.length > 4) return null;
    const nums = parts.map(parseIPv4Number);
    if (nums.some((x) => x !== x)) return null;
    for (let i = 0; i < nums.length - 1; i++) if (nums[i] > 255) return null;
    if (nums[nums.length - 1] >= 256 ** (5 - nums.length)) return null;
    let ipv4 = nums[nums.length - 1];
    for (let i = 0; i < nums.length - 1; i++) ipv4 += nums[i] * 256 ** (3 - i);
    const out = [];
    for (let i = 0; i < 4; i++) {
      out.unshift(String(ipv4 % 256));
      ipv4 = Math.floor(ipv4 / 256);
    }
    return out.join('.');
  }

  function parseIPv6(s) {
    const a = [0, 0, 0, 0, 0, 0, 0, 0];
    let piece = 0;
    let compress = null;
    let p = 0;
    const hexAt = (i) => i < s.length && isHex(s.charCodeAt(i));
    const digitAt = (i) => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;
    if (s[0] === ':') {
      if (s[1] !== ':') return null;
      p = 2;
      piece = 1;
      compress = 1;
    }
    while (p < s.length) {
      if (piece === 8) return null;
      if (s[p] === ':') {
        if (compress !== null) return null;
        p++;
        piece++;
        compress = piece;
        continue;
      }
      let value = 0;
      let length = 0;
      while (length < 4 && hexAt(p)) {
        value = value * 16 + parseInt(s[p], 16);
        p++;
        length++;
      }
      if (s[p] === '.') {
        if (length === 0 || piece > 6) return null;
        p -= length;
        let seen = 0;
        while (p < s.length) {
          let v4 = null;
          if (seen > 0) {
            if (s[p] === '.' && seen < 4) p++;
            else return null;
          }
          if (!digitAt(p)) return null;
          while (digitAt(p)) {
            const n = s.charCodeAt(p) - 48;
            if (v4 === null) v4 = n;
            else if (v4 === 0) return null;
            else v4 = v4 * 10 + n;
            if (v4 > 255) return null;
            p++;
          }
          a[piece] = a[piece] * 256 + v4;
          seen++;
          if (seen === 2 || seen === 4) piece++;
        }
        if (seen !== 4) return null;
        break;
      } else if (s[p] === ':') {
        p++;
        if (p >= s.length) return null;
      } else if (p < s.length) return null;
      a[piece++] = value;
    }
    if (compress !== null) {
      let swaps = piece - compress;
      piece = 7;
      while (piece !== 0 && swaps > 0) {
        const t = a[compress + swaps - 1];
        a[compress + swaps - 1] = a[piece];
        a[piece] = t;
        piece--;
        swaps--;
      }
    } else if (piece !== 8) return null;
    return a;
  }

  function serializeIPv6(a) {
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (a[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && a[j] === 0) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    let out = '';
    for (let i = 0; i < 8; i++) {
      if (i === best) {
        out += i === 0 ? '::' : ':';
        i += bestLen - 1;
        continue;
      }
      out += a[i].toString(16) + (i < 7 ? ':' : '');
    }
    return out;
  }

  const FORBIDDEN_HOST = /[\x00\t\n\r #/:<>?@[\\\]^|]/;
  const FORBIDDEN_DOMAIN = /[\x00-\x20#%/:<>?@[\\\]^|\x7f]/;

  // Returns the serialized host, or null on failure.
  function parseHost(input, special) {
    if (input.startsWith('[')) {
      if (!input.endsWith(']')) return null;
      const a = parseIPv6(input.slice(1, -1));
      return a ? '[' + serializeIPv6(a) + ']' : null;
    }
    if (!special) return FORBIDDEN_HOST.test(input) ? null : percentEncode(input, S_C0);
    const ascii = domainToASCII(percentDecode(input));
    if (ascii === '' || FORBIDDEN_DOMAIN.test(ascii)) return null;
    if (endsInNumber(ascii)) return parseIPv4(ascii);
    return ascii;
  }

  function parsePath(str, special) {
    const segs = str.split(special ? /[/\\]/ : '/');
    const out = [];
    for (let i = 1; i < segs.length; i++) {
      const s = segs[i];
      const last = i === segs.length - 1;
      const lower = s.toLowerCase();
      if (s === '..' || lower === '.%2e' || lower === '%2e.' || lower === '%2e%2e') {
        out.pop();
        if (last) out.push('');
      } else if (s === '.' || lower === '%2e') {
        if (last) out.push('');
      } else out.push(percentEncode(s, S_PATH));
    }
    return '/' + out.join('/');
  }

  // Splits "path?query#fragment" and encodes query and fragment into u.
  function splitTail(u, s) {
    const hashAt = s.indexOf('#');
    if (hashAt >= 0) {
      u.fragment = percentEncode(s.slice(hashAt + 1), S_FRAGMENT);
      s = s.slice(0, hashAt);
    }
    const qAt = s.indexOf('?');
    if (qAt >= 0) {
      u.query = percentEncode(s.slice(qAt + 1), isSpecial(u.protocol) ? S_SPECIAL_QUERY : S_QUERY);
      s = s.slice(0, qAt);
    }
    return s;
  }

  const newRecord = (protocol) => ({ protocol, username: '', password: '', host: null, port: '', path: '', opaque: false, query: null, fragment: null });

  // Parses "[userinfo@]host[:port]" into u; returns false on failure.
  function parseAuthority(u, auth, special) {
    const at = auth.lastIndexOf('@');
    if (at >= 0) {
      const cred = auth.slice(0, at);
      auth = auth.slice(at + 1);
      const colon = cred.indexOf(':');
      u.username = percentEncode(colon >= 0 ? cred.slice(0, colon) : cred, S_USERINFO);
      u.password = colon >= 0 ? percentEncode(cred.slice(colon + 1), S_USERINFO) : '';
    }
    let host = auth;
    let port = '';
    const close = auth.lastIndexOf(']');
    const colon = auth.lastIndexOf(':');
    if (colon > close) {
      host = auth.slice(0, colon);
      port = auth.slice(colon + 1);
    }
    if (port !== '') {
      if (!/^[0-9]+$/.test(port)) return false;
      const n = parseInt(port, 10);
      if (n > 65535) return false;
      port = String(n);
      if (SPECIAL_PORTS.get(u.protocol) === port) port = '';
    }
    if (host === '') {
      if (special && u.protocol !== 'file:') return false;
      if (u.username || u.password || port) return false;
      u.host = '';
    } else {
      const h = parseHost(host, special);
      if (h === null) return false;
      u.host = u.protocol === 'file:' && h === 'localhost' ? '' : h;
    }
    u.port = port;
    return true;
  }

  function parseWithAuthority(u, rest) {
    const special = isSpecial(u.protocol);
    const m = (special ? /[/\\?#]/ : /[/?#]/).exec(rest);
    const end = m ? m.index : rest.length;
    if (!parseAuthority(u, rest.slice(0, end), special)) return null;
    const path = splitTail(u, rest.slice(end));
    u.path = path === '' ? (special ? '/' : '') : parsePath(path, special);
    return u;
  }

  function parseURL(input, base) {
    input = String(input).replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '').replace(/[\t\n\r]/g, '');
    const m = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(input);
    if (m) {
      const u = newRecord(m[1].toLowerCase() + ':');
      let rest = input.slice(m[0].length);
      if (isSpecial(u.protocol)) {
        if (base && base.protocol === u.protocol && !/^[/\\]/.test(rest)) return parseRelative(rest, base);
        return parseWithAuthority(u, rest.replace(/^[/\\]*/, ''));
      }
      if (rest.startsWith('//')) return parseWithAuthority(u, rest.slice(2));
      rest = splitTail(u, rest);
      if (rest.startsWith('/')) u.path = parsePath(rest, false);
      else {
        u.opaque = true;
        u.path = percentEncode(rest, S_C0);
      }
      return u;
    }
    if (!base) return null;
    if (base.opaque) {
      if (!input.startsWith('#')) return null;
      const u = { ...base, fragment: null };
      splitTail(u, input);
      return u;
    }
    return parseRelative(input, base);
  }

  function parseRelative(rest, base) {
    const special = isSpecial(base.protocol);
    const slash = special ? /^[/\\]/ : /^\//;
    const u = newRecord(base.protocol);
    if (slash.test(rest) && slash.test(rest.slice(1))) {
      return parseWithAuthority(u, special ? rest.replace(/^[/\\]*/, '') : rest.slice(2));
    }
    u.username = base.username;
    u.password = base.password;
    u.host = base.host;
    u.port = base.port;
    if (rest === '') {
      u.path = base.path;
      u.query = base.query;
      return u;
    }
    if (rest.startsWith('#')) {
      u.path = base.path;
      u.query = base.query;
      splitTail(u, rest);
      return u;
    }
    if (rest.startsWith('?')) {
      u.path = base.path;
      splitTail(u, rest);
      return u;
    }
    const path = splitTail(u, rest);
    if (slash.test(path)) u.path = parsePath(path, special);
    else if (path === '') u.path = base.path;
    else u.path = parsePath(base.path.slice(0, base.path.lastIndexOf('/') + 1) + path, special);
    return u;
  }

  function serializeURL(u) {
    let s = u.protocol;
    if (u.host !== null) {
      s += '//';
      if (u.username || u.password) s += u.username + (u.password ? ':' + u.password : '') + '@';
      s += u.host + (u.port ? ':' + u.port : '');
    } else if (!u.opaque && u.path.startsWith('//')) s += '/.';
    s += u.path;
    if (u.query !== null) s += '?' + u.query;
    if (u.fragment !== null) s += '#' + u.fragment;
    return s;
  }

  function formEncode(s) {
    return percentEncode(s, S_FORM).replace(/%20/g, '+');
  }

  function parseForm(s) {
    const list = [];
    for (const part of s.split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const name = eq >= 0 ? part.slice(0, eq) : part;
      const value = eq >= 0 ? part.slice(eq + 1) : '';
      list.push([percentDecode(name.replace(/\+/g, ' ')), percentDecode(value.replace(/\+/g, ' '))]);
    }
    return list;
  }

  // USVString conversion: lone surrogates become U+FFFD.
  const toUSV = (v) => String(v).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

  let paramsLink;
  let paramsReset;

  class URLSearchParams {
    #list = [];
    #url = null;
    constructor(init = '') {
      if (init !== null && typeof init === 'object') {
        if (init instanceof URLSearchParams) {
          this.#list = init.#list.map((p) => [p[0], p[1]]);
        } else if (typeof init[Symbol.iterator] === 'function') {
          for (const pair of init) {
            const a = [...pair];
            if (a.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
            this.#list.push([toUSV(a[0]), toUSV(a[1])]);
          }
        } else {
          for (const k of objectKeys(init)) this.#list.push([toUSV(k), toUSV(init[k])]);
        }
      } else {
        let s = toUSV(init);
        if (s.startsWith('?')) s = s.slice(1);
        this.#list = parseForm(s);
      }
    }
    #update() {
      if (this.#url) paramsLink(this.#url, this.toString());
    }
    get size() { return this.#list.length; }
    append(name, value) {
      this.#list.push([toUSV(name), toUSV(value)]);
      this.#update();
    }
    delete(name, value) {
      name = toUSV(name);
      value = value === undefined ? undefined : toUSV(value);
      this.#list = this.#list.filter((p) => !(p[0] === name && (value === undefined || p[1] === value)));
      this.#update();
    }
    get(name) {
      name = toUSV(name);
      const p = this.#list.find((x) => x[0] === name);
      return p ? p[1] : null;
    }
    getAll(name) {
      name = toUSV(name);
      return this.#list.filter((x) => x[0] === name).map((x) => x[1]);
    }
    has(name, value) {
      name = toUSV(name);
      value = value === undefined ? undefined : toUSV(value);
      return this.#list.some((p) => p[0] === name && (value === undefined || p[1] === value));
    }
    set(name, value) {
      name = toUSV(name);
      value = toUSV(value);
      const i = this.#list.findIndex((p) => p[0] === name);
      if (i < 0) this.#list.push([name, value]);
      else {
        this.#list[i][1] = value;
        this.#list = this.#list.filter((p, j) => j <= i || p[0] !== name);
      }
      this.#update();
    }
    sort() {
      // Array.prototype.sort is stable; names compare by UTF-16 code units.
      this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      this.#update();
    }
    forEach(callback, thisArg) {
      if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
      for (let i = 0; i < this.#list.length; i++) apply(callback, thisArg, [this.#list[i][1], this.#list[i][0], this]);
    }
    *entries() {
      for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
    }
    *keys() {
      for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0];
    }
    *values() {
      for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1];
    }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this.#list.map((p) => formEncode(p[0]) + '=' + formEncode(p[1])).join('&'); }
    static {
      paramsReset = (params, url, query) => {
        params.#url = url;
        params.#list = query ? parseForm(query) : [];
      };
    }
  }
  defineProperty(URLSearchParams.prototype, Symbol.toStringTag, { value: 'URLSearchParams', configurable: true });
  define('URLSearchParams', URLSearchParams);

  class URL {
    #u;
    #params = null;
    constructor(url, base) {
      let b = null;
      if (base !== undefined) {
        b = parseURL(toUSV(base), null);
        if (!b) throw new TypeError('Invalid base URL');
      }
      const u = parseURL(toUSV(url), b);
      if (!u) throw new TypeError('Invalid URL');
      this.#u = u;
    }
    static canParse(url, base) {
      try {
        new URL(url, base);
        return true;
      } catch (_) {
        return false;
      }
    }
    static parse(url, base) {
      try {
        return new URL(url, base);
      } catch (_) {
        return null;
      }
    }
    #sync() {
      if (this.#params) paramsReset(this.#params, this, this.#u.query);
    }
    get href() { return serializeURL(this.#u); }
    set href(v) {
      const u = parseURL(toUSV(v), null);
      if (!u) throw new TypeError('Invalid URL');
      this.#u = u;
      this.#sync();
    }
    get origin() {
      const u = this.#u;
      if (!isSpecial(u.protocol) || u.protocol === 'file:') return 'null';
      return u.protocol + '//' + u.host + (u.port ? ':' + u.port : '');
    }
    get protocol() { return this.#u.protocol; }
    set protocol(v) {
      const m = /^([A-Za-z][A-Za-z0-9+\-.]*)/.exec(toUSV(v));
      if (!m) return;
      const p = m[1].toLowerCase() + ':';
      const u = this.#u;
      if (isSpecial(p) !== isSpecial(u.protocol)) return;
      if (p === 'file:' && (u.username || u.password || u.port)) return;
      u.protocol = p;
      if (SPECIAL_PORTS.get(p) === u.port) u.port = '';
    }
    get username() { return this.#u.username; }
    set username(v) {
      const u = this.#u;
      if (u.host === null || u.host === '' || u.protocol === 'file:') return;
      u.username = percentEncode(toUSV(v), S_USERINFO);
    }
    get password() { return this.#u.password; }
    set password(v) {
      const u = this.#u;
      if (u.host === null || u.host === '' || u.protocol === 'file:') return;
      u.password = percentEncode(toUSV(v), S_USERINFO);
    }
    get host() {
      const u = this.#u;
      return u.host === null ? '' : u.host + (u.port ? ':' + u.port : '');
    }
    set host(v) {
      const u = this.#u;
      if (u.opaque) return;
      const t = { ...u };
      const s = toUSV(v);
      const m = /[/\\?#]/.exec(s);
      if (parseAuthority(t, (m ? s.slice(0, m.index) : s).replace(/^.*@/, ''), isSpecial(u.protocol)) && t.host !== '') {
        u.host = t.host;
        u.port = t.port;
      }
    }
    get hostname() { return this.#u.host === null ? '' : this.#u.host; }
    set hostname(v) {
      const u = this.#u;
      if (u.opaque) return;
      let s = toUSV(v);
      const m = s.startsWith('[') ? /[/\\?#]/.exec(s) : /[:/\\?#]/.exec(s);
      if (m) s = s.slice(0, m.index);
      const h = parseHost(s, isSpecial(u.protocol));
      if (h !== null && h !== '') u.host = h;
    }
    get port() { return this.#u.port; }
    set port(v) {
      const u = this.#u;
      if (u.host === null || u.host === '' || u.protocol === 'file:') return;
      const s = toUSV(v);
      if (s === '') {
        u.port = '';
        return;
      }
      const m = /^[0-9]+/.exec(s);
      if (!m) return;
      const n = parseInt(m[0], 10);
      if (n > 65535) return;
      u.port = SPECIAL_PORTS.get(u.protocol) === String(n) ? '' : String(n);
    }
    get pathname() { return this.#u.path; }
    set pathname(v) {
      const u = this.#u;
      if (u.opaque) return;
      const special = isSpecial(u.protocol);
      let s = toUSV(v).replace(/[?#]/g, (c) => (c === '?' ? '%3F' : '%23'));
      if (!(special ? /^[/\\]/ : /^\//).test(s)) s = '/' + s;
      u.path = parsePath(s, special);
    }
    get search() {
      const q = this.#u.query;
      return q === null || q === '' ? '' : '?' + q;
    }
    set search(v) {
      const u = this.#u;
      let s = toUSV(v);
      if (s === '') u.query = null;
      else {
        if (s.startsWith('?')) s = s.slice(1);
        u.query = percentEncode(s, isSpecial(u.protocol) ? S_SPECIAL_QUERY : S_QUERY);
      }
      this.#sync();
    }
    get searchParams() {
      if (!this.#params) {
        this.#params = new URLSearchParams();
        paramsReset(this.#params, this, this.#u.query);
      }
      return this.#params;
    }
    get hash() {
      const f = this.#u.fragment;
      return f === null || f === '' ? '' : '#' + f;
    }
    set hash(v) {
      let s = toUSV(v);
      if (s === '') {
        this.#u.fragment = null;
        return;
      }
      if (s.startsWith('#')) s = s.slice(1);
      this.#u.fragment = percentEncode(s, S_FRAGMENT);
    }
    toString() { return this.href; }
    toJSON() { return this.href; }
    static {
      paramsLink = (url, query) => {
        url.#u.query = query === '' ? null : query;
      };
    }
  }
  defineProperty(URL.prototype, Symbol.toStringTag, { value: 'URL', configurable: true });
  define('URL', URL);

  // ---- Headers, Response, fetch ------------------------------------------------------------------

  const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

  function headerName(name) {
    name = String(name);
    if (!HEADER_NAME.test(name)) throw new TypeError(`Header name must be a valid HTTP token ["${name}"]`);
    return name.toLowerCase();
  }

  function headerValue(value) {
    value = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    if (/[\0\r\n]/.test(value) || /[^\x00-\xff]/.test(value)) throw new TypeError(`Invalid header value`);
    return value;
  }

  class Headers {
    #m = new Map(); // lower-case name -> list of values
    constructor(init) {
      if (init === undefined || init === null) return;
      if (typeof init !== 'object') throw new TypeError('Headers init must be an object');
      if (init instanceof Headers) {
        for (const [k, v] of init.#m) this.#m.set(k, v.slice());
        return;
      }
      if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const a = [...pair];
          if (a.length !== 2) throw new TypeError('Header pairs must contain exactly two items');
          this.append(a[0], a[1]);
        }
        return;
      }
      for (const k of objectKeys(init)) this.append(k, init[k]);
    }
    append(name, value) {
      name = headerName(name);
      value = headerValue(value);
      const list = this.#m.get(name);
      if (list) list.push(value);
      else this.#m.set(name, [value]);
    }
    set(name, value) { this.#m.set(headerName(name), [headerValue(value)]); }
    delete(name) { this.#m.delete(headerName(name)); }
    has(name) { return this.#m.has(headerName(name)); }
    get(name) {
      const list = this.#m.get(headerName(name));
      return list ? list.join(', ') : null;
    }
    getSetCookie() { return (this.#m.get('set-cookie') || []).slice(); }
    *entries() {
      const names = [...this.#m.keys()].sort();
      for (const n of names) {
        const list = this.#m.get(n);
        if (!list) continue;
        if (n === 'set-cookie') for (const v of list) yield [n, v];
        else yield [n, list.join(', ')];
      }
    }
    *keys() {
      for (const [k] of this.entries()) yield k;
    }
    *values() {
      for (const [, v] of this.entries()) yield v;
    }
    forEach(callback, thisArg) {
      for (const [k, v] of this.entries()) apply(callback, thisArg, [v, k, this]);
    }
    [Symbol.iterator]() { return this.entries(); }
  }
  define('Headers', Headers);

  function bodyToBytes(body) {
    if (body === null || body === undefined) return null;
    if (typeof body === 'string') return utf8Encode(body);
    if (body instanceof URLSearchParams) return utf8Encode(body.toString());
    if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return toBytes(body).slice();
    return utf8Encode(String(body));
  }

  let makeResponse;

  class Response {
    #text = null; // body as text (as received or given)
    #bytes = null; // body as bytes, when it was not valid UTF-8 or was given as bytes
    #used = false;
    #status;
    #statusText;
    #headers;
    #url = '';
    #redirected = false;
    #type = 'default';
    constructor(body = null, init = {}) {
      init = init === null || init === undefined ? {} : init;
      const status = init.status === undefined ? 200 : Number(init.status);
      if (!(status >= 200 && status <= 599) || status !== Math.floor(status)) throw new RangeError('init["status"] must be in the range of 200 to 599, inclusive.');
      this.#status = status;
      this.#statusText = init.statusText === undefined ? '' : String(init.statusText);
      this.#headers = new Headers(init.headers);
      if (typeof body === 'string') this.#text = body;
      else this.#bytes = bodyToBytes(body);
      if (typeof body === 'string' && !this.#headers.has('content-type')) this.#headers.set('content-type', 'text/plain;charset=UTF-8');
    }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get statusText() { return this.#statusText; }
    get headers() { return this.#headers; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get type() { return this.#type; }
    get bodyUsed() { return this.#used; }
    get body() { return null; }
    #consume() {
      if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
      this.#used = true;
    }
    #asText() {
      if (this.#text !== null) return this.#text;
      return this.#bytes === null ? '' : utf8Decode(this.#bytes, false);
    }
    #asBytes() {
      if (this.#bytes !== null) return this.#bytes.slice();
      return this.#text === null ? new Uint8Array(0) : utf8Encode(this.#text);
    }
    text() {
      try {
        this.#consume();
        return promiseResolve(this.#asText());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    json() {
      try {
        this.#consume();
        return promiseResolve(jsonParse(this.#asText()));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    arrayBuffer() {
      try {
        this.#consume();
        return promiseResolve(this.#asBytes().buffer);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    bytes() {
      try {
        this.#consume();
        return promiseResolve(this.#asBytes());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    clone() {
      if (this.#used) throw new TypeError('Response.clone: Body has already been consumed.');
      const r = new Response(null, { status: this.#status, statusText: this.#statusText, headers: this.#headers });
      r.#text = this.#text;
      r.#bytes = this.#bytes;
      r.#url = this.#url;
      r.#redirected = this.#redirected;
      r.#type = this.#type;
      return r;
    }
    static json(data, init = {}) {
      const s = jsonStringify(data);
      if (s === undefined) throw new TypeError('Value is not JSON serializable');
      const r = new Response(s, init);
      r.headers.set('content-type', 'application/json');
      return r;
    }
    static error() {
      const r = new Response(null, {});
      r.#status = 0;
      r.#type = 'error';
      return r;
    }
    static {
      // From the host: status may be outside 200..599 (e.g. a manual redirect).
      makeResponse = (body, meta) => {
        const r = new Response(null, { headers: meta.headers });
        r.#status = meta.status;
        r.#statusText = meta.statusText;
        r.#url = meta.url;
        r.#redirected = meta.redirected;
        r.#type = 'basic';
        if (meta.binary) r.#bytes = decodeBase64(body) || new Uint8Array(0);
        else r.#text = body;
        return r;
      };
    }
  }
  define('Response', Response);

  function newResponse(body, meta) {
    return makeResponse(body, meta);
  }

  const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'];

  function fetch(input, init) {
    const cur = st;
    return new Promise((resolve, reject) => {
      if (!cur || cur.done) throw new TypeError('fetch is not available after the script finished');
      let url;
      if (typeof input === 'string') url = input;
      else if (input instanceof URL) url = input.href;
      else if (input !== null && typeof input === 'object' && typeof input.url === 'string') url = input.url;
      else url = String(input);
      url = new URL(url).href;
      if (init === undefined || init === null) init = {};
      if (typeof init !== 'object') throw new TypeError('The "init" argument must be an object');
      let method = init.method === undefined ? 'GET' : String(init.method);
      if (METHODS.includes(method.toUpperCase())) method = method.toUpperCase();
      if (!HEADER_NAME.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
      const headers = new Headers(init.headers);
      let body = '';
      let binary = false;
      const raw = init.body;
      if (raw !== undefined && raw !== null) {
        if (method === 'GET' || method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
        if (raw instanceof ArrayBuffer || ArrayBuffer.isView(raw)) {
          const b = toBytes(raw);
          body = encodeBase64(b.length, (i) => b[i]);
          binary = true;
        } else if (raw instanceof URLSearchParams) {
          body = raw.toString();
          if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
        } else {
          body = String(raw);
          if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
        }
      }
      const redirect = init.redirect === undefined ? 'follow' : String(init.redirect);
      if (redirect !== 'follow' && redirect !== 'error' && redirect !== 'manual') throw new TypeError(`Invalid redirect mode '${redirect}'`);
      const signal = init.signal === undefined || init.signal === null ? null : init.signal;
      if (signal !== null && !(signal instanceof AbortSignal)) throw new TypeError('The "signal" option must be an AbortSignal');
      if (signal && signal.aborted) {
        reject(signal.reason);
        return;
      }
      const id = cur.nextId++;
      H.fetch(id, method, url, jsonStringify([...headers]), body, binary, redirect);
      const entry = { resolve, reject, signal, onAbort: null };
      if (signal) {
        entry.onAbort = () => {
          if (!cur.fetches || cur.fetches.get(id) !== entry) return;
          cur.fetches.delete(id);
          H.cancel(id);
          reject(signal.reason);
        };
        signal.addEventListener('abort', entry.onAbort);
      }
      (cur.fetches || (cur.fetches = new Map())).set(id, entry);
    });
  }
  define('fetch', fetch);

  // ---- lockdown -------------------------------------------------------------------
  //
  // Every object reachable from the global object, and the intrinsics reachable
  // only from syntax, is frozen, so a run cannot leave state behind for the next
  // one. Walking the object graph costs milliseconds in this interpreter, so the
  // host walks it once per process (planLockdown, in a VM of its own) and
  // compiles the result into lockdownObjects: straight-line code that each VM
  // replays.

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
  function planLockdown() {
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
    /*@LOCKDOWN@*/
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

  function applyLockdown() {
    const all = anonymousRoots();
    const n = lockdownObjects(all, getOwnPropertyDescriptor, getPrototypeOf, (o, k) => tameOverride(all, o, k));
    if (all.length !== n) throw new Error('lockdown: plan does not match');
    for (let i = 0; i < all.length; i++) {
      const o = all[i];
      if (o === null || (typeof o !== 'object' && typeof o !== 'function')) throw new Error('lockdown: plan does not match at ' + i);
      freeze(o);
    }
  }

  // ---- harness ------------------------------------------------------------------

  return function harness(op, a, b, c, d) {
    switch (op) {
      case 0: // setup(factory, maxOutput, maxLog)
        factory = a;
        maxOutput = b;
        maxLog = c;
        return undefined;
      case 1: // run(tokenJSON, contextJSON, envJSON, jti)
        run(a, b, c, d);
        return undefined;
      case 2: // deliver(id, kind, meta, body)
        deliver(a, b, c, d);
        return undefined;
      case 3: // lockdown
        applyLockdown();
        return undefined;
      case 4: // plan
        return planLockdown();
    }
    throw new Error('harness: unknown operation');
  };
})();
