/**
 * IP addresses and CIDR blocks as event-ruler reads them (CIDR.java): an address is written as fixed-width upper-case
 * hex (8 digits for IPv4, 32 for IPv6), so a block is a closed range of such strings and string comparison is
 * numeric comparison within one family. Only texts shaped like event-ruler's IPv4/IPv6 regexes count as addresses
 * (no zone ids, no dotted tails in IPv6); an IPv4-mapped IPv6 address is its IPv4 address, as Java's InetAddress
 * makes it.
 */

export interface IpRange {
  readonly lo: string;
  readonly hi: string;
}

/** Two upper-case hex digits per byte value. */
const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));

/** The canonical hex form of an IP literal, or null when `s` is not one. */
export function parseIp(s: string): string | null {
  const bytes = s.indexOf(':') >= 0 ? parseV6(s) : parseV4(s);
  return bytes === null ? null : toHex(bytes);
}

/** A CIDR block as a hex range, or event-ruler's reason for refusing it. */
export function parseCidr(cidr: string): IpRange | string {
  // Java's String.split drops trailing empty parts, so "10.0.0.0/" has one part.
  const parts = cidr.split('/');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 2) return "Malformed CIDR, one '/' required";
  const [address, maskText] = parts as [string, string];
  if (!/^[+-]?\d+$/.test(maskText) || Math.abs(Number(maskText)) > 2 ** 31 - 1) {
    return 'Malformed CIDR, mask bits must be an integer';
  }
  const mask = Number(maskText);
  if (mask < 0) return 'Malformed CIDR, mask bits must not be negative';
  const looksV4 = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(address);
  const looksV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(address);
  if (!looksV4 && !looksV6) return `Nonstandard IP address: ${address}`;
  const bytes = looksV4 ? parseV4(address) : parseV6(address);
  if (bytes === null) return `Invalid IP address: ${address}`;
  if (bytes.length === 4 && mask > 31) return 'IPv4 mask bits must be < 32';
  if (bytes.length === 16 && mask > 127) return 'IPv6 mask bits must be < 128';
  const lo = Uint8Array.from(bytes);
  const hi = Uint8Array.from(bytes);
  let variable = bytes.length * 8 - mask;
  for (let i = bytes.length - 1; i >= 0 && variable > 0; i--, variable -= 8) {
    const low = (1 << Math.min(8, variable)) - 1;
    lo[i] = lo[i]! & ~low & 0xff;
    hi[i] = hi[i]! | low;
  }
  return { lo: toHex(lo), hi: toHex(hi) };
}

function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += BYTE_HEX[b]!;
  return out;
}

function parseV4(s: string): Uint8Array | null {
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      if (value > 255) return null;
      digits++;
    } else if (c === 0x2e) {
      if (digits === 0 || part === 3) return null;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else return null;
  }
  if (digits === 0 || part !== 3) return null;
  out[3] = value;
  return out;
}

function parseV6(s: string): Uint8Array | null {
  if (s.length < 2 || s.length > 39) return null;
  const groups: number[] = [];
  let gap = -1; // index in `groups` where "::" stands
  let i = 0;
  if (s.charCodeAt(0) === 0x3a) {
    if (s.charCodeAt(1) !== 0x3a) return null;
    gap = 0;
    i = 2;
  }
  while (i < s.length) {
    let value = 0;
    let digits = 0;
    while (i < s.length) {
      const d = hexDigit(s.charCodeAt(i));
      if (d < 0) break;
      value = value * 16 + d;
      if (++digits > 4) return null;
      i++;
    }
    if (digits === 0) return null;
    groups.push(value);
    if (i === s.length) break;
    if (s.charCodeAt(i) !== 0x3a) return null;
    i++;
    if (i === s.length) return null; // a single trailing ':'
    if (s.charCodeAt(i) === 0x3a) {
      if (gap >= 0) return null;
      gap = groups.length;
      i++;
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return null;
  const words = new Array<number>(8).fill(0);
  const tail = gap < 0 ? 0 : groups.length - gap;
  for (let g = 0; g < groups.length; g++) {
    const at = gap >= 0 && g >= gap ? 8 - tail + (g - gap) : g;
    words[at] = groups[g]!;
  }
  const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  if (mapped) return Uint8Array.of(words[6]! >> 8, words[6]! & 0xff, words[7]! >> 8, words[7]! & 0xff);
  const out = new Uint8Array(16);
  for (let w = 0; w < 8; w++) {
    out[w * 2] = words[w]! >> 8;
    out[w * 2 + 1] = words[w]! & 0xff;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}
