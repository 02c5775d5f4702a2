// SPDX-License-Identifier: MIT
// Numbers, points, money and dates in the reader's language, through Intl. Money arrives from
// the API as an integer in the currency's minor unit (API.md): 1250 with "USD" is 12.50, with
// "JPY" 1250 yen; the number of minor digits is the one Intl knows for the currency.
import { locale } from './i18n';

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = locale() + JSON.stringify(options);
  let format = numberFormats.get(key);
  if (format === undefined) {
    format = new Intl.NumberFormat(locale(), options);
    numberFormats.set(key, format);
  }
  return format;
}

export function formatNumber(value: number): string {
  return numberFormat({ maximumFractionDigits: 0 }).format(value);
}

// The digits after the decimal point of a currency (2 for USD and THB, 0 for JPY and VND).
export function minorDigits(currency: string): number {
  return numberFormat({ style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export function formatMoney(amountMinor: number, currency: string): string {
  const digits = minorDigits(currency);
  // Integer minor units to the major unit; exact for every amount below 2^53.
  const major = amountMinor / 10 ** digits;
  return numberFormat({
    style: 'currency',
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(major);
}

// A typed amount ("12.50", "12,50") back to minor units; null when it is not a plain amount.
export function parseMoney(text: string, currency: string): number | null {
  const digits = minorDigits(currency);
  const m = /^\s*(\d+)(?:[.,](\d*))?\s*$/.exec(text);
  if (m === null || (m[2] ?? '').length > digits) {
    return null;
  }
  const fraction = (m[2] ?? '').padEnd(digits, '0');
  return Number(m[1]) * 10 ** digits + (digits > 0 ? Number(fraction) : 0);
}

function toDate(value: string | Date): Date {
  return typeof value === 'string' ? new Date(value) : value;
}

// A date (RFC 3339 time or YYYY-MM-DD) as the reader writes dates, in timeZone when given
// (a program's time zone), else the browser's.
export function formatDate(value: string | Date, timeZone?: string): string {
  const date = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? new Date(value + 'T12:00:00Z')
    : toDate(value);
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: 'medium',
    timeZone: typeof value === 'string' && value.length === 10 ? 'UTC' : timeZone,
  }).format(date);
}

export function formatDateTime(value: string | Date, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone,
  }).format(toDate(value));
}
