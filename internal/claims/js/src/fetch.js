// Headers, Response and fetch: requests are made by the host, which checks
// where they may go.

import { apply, define, H, jsonParse, jsonStringify, objectKeys, promiseResolve } from './prelude.js';
import { st } from './state.js';
import { AbortSignal } from './abort.js';
import { decodeBase64, encodeBase64, toBytes, utf8Decode, utf8Encode } from './encoding.js';
import { URL, URLSearchParams } from './url/url.js';

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
  // #read consumes the body and settles with what get makes of it.
  #read(get) {
    try {
      this.#consume();
      return promiseResolve(get());
    } catch (e) {
      return Promise.reject(e);
    }
  }
  text() {
    return this.#read(() => this.#asText());
  }
  json() {
    return this.#read(() => jsonParse(this.#asText()));
  }
  arrayBuffer() {
    return this.#read(() => this.#asBytes().buffer);
  }
  bytes() {
    return this.#read(() => this.#asBytes());
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

export function newResponse(body, meta) {
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
