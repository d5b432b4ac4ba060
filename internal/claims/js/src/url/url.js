// WHATWG URL: the URL and URLSearchParams classes.

import { apply, define, defineProperty, objectKeys } from '../prelude.js';
import { isSpecial, percentDecode, percentEncode, S_FORM, S_FRAGMENT, S_QUERY, S_SPECIAL_QUERY, S_USERINFO, SPECIAL_PORTS } from './percent.js';
import { parseHost } from './host.js';
import { parseAuthority, parsePath, parseURL, serializeURL } from './parse.js';

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

export class URLSearchParams {
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

// originOf serializes the origin of u: a blob URL's is that of the http(s)
// URL in its path.
function originOf(u) {
  if (u.protocol === 'blob:') {
    const inner = parseURL(u.path, null);
    return inner && (inner.protocol === 'http:' || inner.protocol === 'https:') ? originOf(inner) : 'null';
  }
  if (!isSpecial(u.protocol) || u.protocol === 'file:') return 'null';
  return u.protocol + '//' + u.host + (u.port ? ':' + u.port : '');
}

export class URL {
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
    return originOf(this.#u);
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
