// SPDX-License-Identifier: MIT
// Messages in four languages. Every string a person reads is a key of the catalogs in
// src/i18n/<locale>.json, present in all four (tests/i18n.test.ts checks it). English is bundled
// with each page (it is also the fallback for a key missing at run time); the other catalogs
// are loaded when chosen, so a page carries only the language it shows.
//
// A message may hold {name} placeholders, filled from params; a message that depends on a
// count is an object of plural forms ({"one": "...", "other": "..."}), picked with
// Intl.PluralRules of the locale from params.count.
import en from '../i18n/en.json';

export const LOCALES = ['en', 'th', 'vi', 'uk'] as const;
export type Locale = (typeof LOCALES)[number];
export type Catalog = Record<string, string | Record<string, string>>;
export type MessageKey = keyof typeof en;

// Each language named in itself, for the switcher.
export const LOCALE_NAMES: Record<Locale, string> = {
  en: 'English',
  th: 'ไทย',
  vi: 'Tiếng Việt',
  uk: 'Українська',
};

const STORAGE_KEY = 'patron.locale';
const loaders: Record<Locale, () => Promise<Catalog>> = {
  en: async () => en,
  th: async () => (await import('../i18n/th.json')).default,
  vi: async () => (await import('../i18n/vi.json')).default,
  uk: async () => (await import('../i18n/uk.json')).default,
};

let current: Locale = 'en';
let catalog: Catalog = en;
const listeners = new Set<(locale: Locale) => void>();

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

// The stored choice, else the first browser language we have, else English.
export function detectLocale(): Locale {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(STORAGE_KEY);
  } catch {
    stored = null; // Storage refused (private mode, policy): the browser's language decides.
  }
  if (isLocale(stored)) {
    return stored;
  }
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = tag.toLowerCase().split('-')[0];
    if (isLocale(primary)) {
      return primary;
    }
  }
  return 'en';
}

export function locale(): Locale {
  return current;
}

// Loads the catalog of next and makes it current; remember stores the choice for next visits.
export async function setLocale(next: Locale, remember = false): Promise<void> {
  const loaded = await loaders[next]();
  current = next;
  catalog = loaded;
  if (typeof document !== 'undefined') {
    document.documentElement.lang = next; // (tests of the helpers run without a page)
  }
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Not remembered; the choice holds for this page.
    }
  }
  for (const listener of listeners) {
    listener(next);
  }
}

export function onLocaleChange(listener: (locale: Locale) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export type Params = Record<string, string | number>;

// The message of key in the current language, its {placeholders} filled from params.
export function t(key: MessageKey, params?: Params): string {
  const entry = catalog[key] ?? (en as Catalog)[key];
  let text: string;
  if (entry === undefined) {
    text = key;
  } else if (typeof entry === 'string') {
    text = entry;
  } else {
    const count = Number(params?.count ?? 0);
    const form = new Intl.PluralRules(current).select(count);
    text = entry[form] ?? entry.other ?? key;
  }
  if (params === undefined) {
    return text;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
