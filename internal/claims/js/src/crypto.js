// crypto: randomUUID and getRandomValues, from the host's random bytes.

import { define, freeze, H } from './prelude.js';
import { DOMException } from './events.js';

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
