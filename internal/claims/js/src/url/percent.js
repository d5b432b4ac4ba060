// WHATWG URL: special schemes and percent-encoding.

import { fromCharCode } from '../prelude.js';
import { utf8Decode, utf8Encode } from '../encoding.js';

export const SPECIAL_PORTS = new Map([['ftp:', '21'], ['file:', ''], ['http:', '80'], ['https:', '443'], ['ws:', '80'], ['wss:', '443']]);
export const isSpecial = (protocol) => SPECIAL_PORTS.has(protocol);

// Percent-encode sets as bit flags over ASCII; every set holds C0 controls and
// all non-ASCII code points.
export const S_C0 = 1, S_FRAGMENT = 2, S_QUERY = 4, S_SPECIAL_QUERY = 8, S_PATH = 16, S_USERINFO = 32, S_COMPONENT = 64, S_FORM = 128;
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

export function percentEncode(str, set) {
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

export const isHex = (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

export function percentDecode(str) {
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
