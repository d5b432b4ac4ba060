// WHATWG URL: host parsing (domains, IPv4, IPv6). Domains are mapped without
// the IDNA tables, close to UTS #46 (see domainToASCII), and their labels
// punycode-encoded.

import { fromCharCode } from '../prelude.js';
import { isHex, percentDecode, percentEncode, S_C0 } from './percent.js';

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

// Code points UTS #46 maps to nothing: the soft hyphen, zero-width space,
// word joiner, byte order mark, the combining grapheme joiner and the
// variation selectors.
const IGNORED = /[\u00ad\u034f\u180b-\u180d\u180f\u200b\u2060\u2064\ufe00-\ufe0f\ufeff]|\udb40[\udd00-\uddef]/g;

// Code points UTS #46 disallows that compatibility normalization keeps: the
// replacement character (what invalid UTF-8 decodes to) and noncharacters.
const DISALLOWED = /[\ufdd0-\ufdef\ufffd-\uffff]/;

// domainToASCII maps a domain as UTS #46 does, approximated without its
// tables (ignored code points removed, compatibility normalization, lower
// case), then punycode-encodes the labels that are not ASCII. It returns ""
// for a domain it rejects.
function domainToASCII(domain) {
  const mapped = domain.replace(IGNORED, '').normalize('NFKC').toLowerCase();
  if (DISALLOWED.test(mapped)) return '';
  const labels = mapped.split(/[.\u3002\uff0e\uff61]/);
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
export function parseHost(input, special) {
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
