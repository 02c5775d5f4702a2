// SPDX-License-Identifier: MIT
// What a cashier types or scans into the till, told apart without asking the server: a member's
// card number (the payload of GET /v1/members/{id}/card/qr.svg and of its Code 128 barcode:
// 16 digits, the last a Luhn check digit), a coupon or promotion code (Crockford base32 with a
// Damm check symbol, src/core/coupon_code.h), a purchase id printed on a receipt (txn_…), a
// member id (mem_…), a phone number (E.164), an email, or else a name to search for. Pure.

export type Code =
  | { kind: 'card'; value: string } // 16 digits, check digit right
  | { kind: 'coupon'; value: string } // canonical: upper case, no separators
  | { kind: 'purchase'; value: string } // txn_…
  | { kind: 'member'; value: string } // mem_…
  | { kind: 'phone'; value: string } // +E.164
  | { kind: 'email'; value: string }
  | { kind: 'name'; value: string } // anything else: a prefix of a name or an email
  | { kind: 'empty'; value: '' };

// Luhn's check over a string of digits (the last one is the check digit).
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) {
    return false;
  }
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) {
        d -= 9;
      }
    }
    sum += d;
  }
  return sum % 10 === 0;
}

// A card number as printed on the card: four groups of four digits.
export function formatCardNumber(card: string): string {
  return /^\d{16}$/.test(card) ? card.replace(/(\d{4})(?=\d)/g, '$1 ') : card;
}

const SYMBOLS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RANDOM_SYMBOLS = 12;
const PREFIX_MAX = 8;

// One step of the coupon check: 2·v + d in GF(32) with x^5 + x^2 + 1 (coupon_code.c).
function dammStep(v: number, d: number): number {
  let twice = v << 1;
  if (twice & 32) {
    twice ^= 0x25;
  }
  return (twice ^ d) & 31;
}

// A typed or scanned coupon code in its canonical form, or null when it cannot be one: the
// server's reading (any case, hyphens and spaces ignored, O read as 0, I and L as 1), its
// length (12 random symbols and the check, after a prefix of up to 8) and its check symbol.
export function canonicalCoupon(input: string): string | null {
  const text = input
    .replace(/[\s-]/g, '')
    .toUpperCase()
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (text.length < RANDOM_SYMBOLS + 1 || text.length > PREFIX_MAX + RANDOM_SYMBOLS + 1) {
    return null;
  }
  let v = 0;
  for (const c of text) {
    const d = SYMBOLS.indexOf(c);
    if (d < 0) {
      return null;
    }
    v = dammStep(v, d);
  }
  // The check symbol makes the run end at zero.
  return v === 0 ? text : null;
}

// Reads what was typed or scanned. A card number or coupon code whose check fails is not one
// (a typo): it falls to a name search, which finds nothing, rather than to a wrong member.
export function classify(input: string): Code {
  const text = input.trim();
  if (text === '') {
    return { kind: 'empty', value: '' };
  }
  const compact = text.replace(/[\s-]/g, '');
  if (/^\d{16}$/.test(compact) && luhnValid(compact)) {
    return { kind: 'card', value: compact };
  }
  if (/^txn_[0-9a-z]{26}$/i.test(text)) {
    return { kind: 'purchase', value: text.toLowerCase() };
  }
  if (/^mem_[0-9a-z]{26}$/i.test(text)) {
    return { kind: 'member', value: text.toLowerCase() };
  }
  const phone = text.replace(/[\s().-]/g, '');
  if (/^\+[1-9]\d{6,14}$/.test(phone)) {
    return { kind: 'phone', value: phone };
  }
  if (/^[^\s@]+@[^\s@]+$/.test(text)) {
    return { kind: 'email', value: text };
  }
  // A coupon code is 13 to 21 base32 symbols, maybe in hyphenated groups; a name would have
  // to be as long, without a space, and pass the check by chance (one in 32).
  if (/^[0-9A-Za-z]+(-[0-9A-Za-z]+)*$/.test(text)) {
    const coupon = canonicalCoupon(text);
    if (coupon !== null) {
      return { kind: 'coupon', value: coupon };
    }
  }
  return { kind: 'name', value: text };
}

// The printed form of a canonical coupon code: the random symbols in groups of four and the
// check apart, after the prefix (the server prints codes so; it accepts both forms).
export function printCoupon(canonical: string): string {
  const prefixLength = canonical.length - RANDOM_SYMBOLS - 1;
  const groups = [];
  if (prefixLength > 0) {
    groups.push(canonical.slice(0, prefixLength));
  }
  for (let i = 0; i < RANDOM_SYMBOLS; i += 4) {
    groups.push(canonical.slice(prefixLength + i, prefixLength + i + 4));
  }
  groups.push(canonical.slice(-1));
  return groups.join('-');
}
