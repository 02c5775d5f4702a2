// SPDX-License-Identifier: MIT
// The i18n rule (docs/web.md): every string a person reads is in the catalogs, in all four
// languages, with the same placeholders and plural forms; and the Intl helpers format numbers,
// money in minor units and dates per locale. No browser needed.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatDate, formatMoney, formatNumber, minorDigits, parseMoney } from '../src/lib/format';
import { LOCALES, setLocale, t } from '../src/lib/i18n';
import { WEB_DIR } from './harness';

type Entry = string | Record<string, string>;

function load(locale: string): Record<string, Entry> {
  return JSON.parse(readFileSync(join(WEB_DIR, 'src', 'i18n', `${locale}.json`), 'utf8')) as Record<string, Entry>;
}

function placeholders(entry: Entry): string[] {
  const texts = typeof entry === 'string' ? [entry] : Object.values(entry);
  return [...new Set(texts.flatMap((text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1])))].sort();
}

test('the catalogs are the four locales, with the same keys and placeholders', () => {
  const files = readdirSync(join(WEB_DIR, 'src', 'i18n')).filter((f) => f.endsWith('.json')).sort();
  assert.deepEqual(files, [...LOCALES].map((l) => `${l}.json`).sort());
  const en = load('en');
  for (const locale of LOCALES) {
    const other = load(locale);
    assert.deepEqual(Object.keys(other).sort(), Object.keys(en).sort(), `${locale}: keys differ from en`);
    for (const [key, entry] of Object.entries(other)) {
      assert.deepEqual(placeholders(entry), placeholders(en[key]!), `${locale} ${key}: placeholders`);
      if (typeof entry === 'string') {
        assert.ok(entry.trim() !== '', `${locale} ${key} is empty`);
        assert.equal(typeof en[key], 'string', `${locale} ${key}: plural in en, not here`);
      } else {
        assert.ok('other' in entry, `${locale} ${key}: a plural needs "other"`);
      }
    }
  }
});

test('every key the source uses is in the catalogs', () => {
  const en = load('en');
  const used = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
      } else if (/\.(ts|tsx)$/.test(entry.name)) {
        for (const m of readFileSync(path, 'utf8').matchAll(/\bt\(\s*'([a-z0-9_.]+)'/g)) {
          used.add(m[1]!);
        }
      }
    }
  };
  walk(join(WEB_DIR, 'src'));
  assert.ok(used.size > 10);
  for (const key of used) {
    assert.ok(key in en, `t('${key}') has no message`);
  }
});

test('messages fill their placeholders in the chosen language', async () => {
  await setLocale('th');
  assert.equal(t('portal.home.hello', { name: 'Ada' }), 'สวัสดี Ada');
  await setLocale('uk');
  assert.equal(t('common.request_failed', { message: 'x' }), 'Щось пішло не так: x');
  await setLocale('en');
  assert.equal(t('signin.title'), 'Sign in');
});

test('numbers, money in minor units and dates follow the locale', async () => {
  await setLocale('en');
  assert.equal(formatNumber(1234567), '1,234,567');
  assert.equal(formatMoney(1250, 'USD'), '$12.50');
  assert.equal(formatMoney(1250, 'JPY'), '¥1,250');
  assert.equal(minorDigits('THB'), 2);
  assert.equal(minorDigits('VND'), 0);
  assert.equal(parseMoney('12.5', 'USD'), 1250);
  assert.equal(parseMoney('12,50', 'EUR'), 1250);
  assert.equal(parseMoney('12.505', 'USD'), null);
  assert.equal(parseMoney('1250', 'JPY'), 1250);
  assert.equal(parseMoney('-3', 'USD'), null);
  assert.equal(formatDate('2026-11-23'), 'Nov 23, 2026');
  await setLocale('th');
  assert.equal(formatMoney(123456, 'THB'), '฿1,234.56');
  // Thai dates are in the Buddhist era, as Thai readers write them.
  assert.match(formatDate('2026-11-23'), /2569/);
  await setLocale('vi');
  assert.match(formatMoney(150000, 'VND'), /^150\.000\s?₫$/);
  await setLocale('uk');
  assert.match(formatNumber(1234567), /^1\s234\s567$/);
  await setLocale('en');
});
