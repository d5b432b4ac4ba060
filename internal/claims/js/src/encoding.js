// UTF-8 and base64: TextEncoder, TextDecoder, btoa and atob.

import { apply, define, fromCharCode, mathMin } from './prelude.js';
import { DOMException } from './events.js';

export function utf8Encode(str) {
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

export function utf8Decode(b, fatal) {
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

export function toBytes(input) {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError('The "input" argument must be an ArrayBuffer or ArrayBufferView');
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

// Encodes 0..255 values given by at(i) for i < n.
export function encodeBase64(n, at) {
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
export function decodeBase64(s) {
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
