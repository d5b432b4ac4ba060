// WHATWG URL: the URL record, its parser and its serializer.

import { isSpecial, percentEncode, S_C0, S_FRAGMENT, S_PATH, S_QUERY, S_SPECIAL_QUERY, S_USERINFO, SPECIAL_PORTS } from './percent.js';
import { parseHost } from './host.js';

const isDoubleDot = (s) => s === '..' || /^(?:\.%2e|%2e\.|%2e%2e)$/i.test(s);
const isSingleDot = (s) => s === '.' || /^%2e$/i.test(s);

// A Windows drive letter ("C:" or "C|"), normalized ("C:"), and a string that
// starts with one.
const DRIVE = /^[A-Za-z][:|]$/;
const NORMALIZED_DRIVE = /^[A-Za-z]:$/;
const STARTS_WITH_DRIVE = /^[A-Za-z][:|](?:$|[/\\?#])/;

// Removes the last segment of path; a file URL keeps its drive letter.
function shorten(path, file) {
  if (file && path.length === 1 && NORMALIZED_DRIVE.test(path[0])) return;
  path.pop();
}

// Appends to path (a list of segments) the segments of str, which the path
// state reads: str holds neither query nor fragment, nor the slash that
// begins the path.
function appendSegments(path, str, special, file) {
  const segs = str.split(special ? /[/\\]/ : '/');
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    const last = i === segs.length - 1;
    if (isDoubleDot(s)) {
      shorten(path, file);
      if (last) path.push('');
    } else if (isSingleDot(s)) {
      if (last) path.push('');
    } else if (file && path.length === 0 && DRIVE.test(s)) path.push(s[0] + ':');
    else path.push(percentEncode(s, S_PATH));
  }
  return path;
}

// parsePath parses str, a path that begins with a slash, into its
// serialization.
export function parsePath(str, special) {
  return '/' + appendSegments([], str.slice(1), special, false).join('/');
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
export function parseAuthority(u, auth, special) {
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
    if (at >= 0 || colon > close) return false;
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

export function parseURL(input, base) {
  input = String(input).replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, '').replace(/[\t\n\r]/g, '');
  const m = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(input);
  if (m) {
    const u = newRecord(m[1].toLowerCase() + ':');
    let rest = input.slice(m[0].length);
    if (u.protocol === 'file:') return parseFile(rest, base);
    if (isSpecial(u.protocol)) {
      if (base && base.protocol === u.protocol && !rest.startsWith('//')) return parseRelative(rest, base);
      return parseWithAuthority(u, rest.replace(/^[/\\]*/, ''));
    }
    if (rest.startsWith('//')) return parseWithAuthority(u, rest.slice(2));
    rest = splitTail(u, rest);
    if (rest.startsWith('/')) u.path = parsePath(rest, false);
    else {
      u.opaque = true;
      // A space that ends the path before a query or fragment is encoded,
      // so that it is not lost when they are removed.
      const space = rest.endsWith(' ') && (u.query !== null || u.fragment !== null);
      u.path = space ? percentEncode(rest.slice(0, -1), S_C0) + '%20' : percentEncode(rest, S_C0);
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
  if (base.protocol === 'file:') return parseFile(input, base);
  return parseRelative(input, base);
}

// parseFile parses rest, what follows "file:" (or a relative reference to a
// file URL base), following the file states of the WHATWG parser: an empty
// host, Windows drive letters kept at the root of the path.
function parseFile(rest, base) {
  const u = newRecord('file:');
  u.host = '';
  const fileBase = base && base.protocol === 'file:' ? base : null;
  const basePath = () => fileBase.path.split('/').slice(1);
  let path = [];
  let str = rest; // what the path state reads
  if (/^[/\\][/\\]/.test(rest)) {
    // file host state
    rest = rest.slice(2);
    const m = /[/\\?#]/.exec(rest);
    const end = m ? m.index : rest.length;
    const buf = rest.slice(0, end);
    str = rest;
    if (!DRIVE.test(buf)) {
      if (buf !== '') {
        const h = parseHost(buf, true);
        if (h === null) return null;
        u.host = h === 'localhost' ? '' : h;
      }
      str = rest.slice(end).replace(/^[/\\]/, '');
    }
  } else if (/^[/\\]/.test(rest)) {
    // file slash state
    str = rest.slice(1);
    if (fileBase) {
      u.host = fileBase.host;
      const first = basePath()[0];
      if (!STARTS_WITH_DRIVE.test(str) && NORMALIZED_DRIVE.test(first)) path.push(first);
    }
  } else if (fileBase) {
    u.host = fileBase.host;
    path = basePath();
    u.query = fileBase.query;
    if (rest === '' || rest.startsWith('?') || rest.startsWith('#')) {
      u.path = fileBase.path;
      if (rest.startsWith('?')) u.query = null;
      splitTail(u, rest);
      return u;
    }
    u.query = null;
    if (STARTS_WITH_DRIVE.test(rest)) path = [];
    else shorten(path, true);
  }
  u.path = '/' + appendSegments(path, splitTail(u, str), true, true).join('/');
  return u;
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
  else u.path = parsePath((base.path.slice(0, base.path.lastIndexOf('/') + 1) || '/') + path, special);
  return u;
}

export function serializeURL(u) {
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
