// SPDX-License-Identifier: MIT
// embed.js: the web-shop script (docs/web.md, "Points beside the price in a web shop"). One tag
//   <script src="https://loyalty.example/embed.js" data-key="pk_..." data-member-token="..." async>
// on a shop's page shows "earn N points" beside each element with data-patron-price (a one-item
// guest cart evaluated by POST /v1/carts/evaluate with the publishable key: the program's earn
// rate and rules, exactly as at the till) and, with a member token, the member's points in each
// element with data-patron-balance (GET /v1/embed/member).
//
// It is one small file with no import (built alone as an IIFE, vite.config.ts), served unhashed
// at /embed.js. It never breaks the page: every failure leaves its elements empty and logs one
// console.warn that names neither the key nor the token; it writes text only (textContent).
export {};

// At most this many different products (sku, category, price, currency) are evaluated per page
// until refresh(); priced elements past them stay empty. Requests at once, and how long one may
// take before it is given up.
const MAX_PRODUCTS = 100;
const MAX_IN_FLIGHT = 4;
const TIMEOUT_MS = 10_000;
// New products (infinite scroll, a filter) are looked for this long after the page stops changing.
const RESCAN_MS = 250;
// What the API takes: minor units (at most 15 digits), sku and category of 1 to 128 bytes.
const PRICE = /^\d{1,15}$/;
const TEXT_BYTES_MAX = 128;
const CURRENCY = /^[A-Z]{3}$/;

type Forms = { other: string } & Partial<Record<Intl.LDMLPluralRule, string>>;
interface Messages {
  earn: Forms;
  points: Forms;
}

// The sentences, in the four languages of the faces (web/src/i18n): {n} is a formatted number.
const CATALOG: Record<string, Messages> = {
  en: {
    earn: { one: 'earn {n} point', other: 'earn {n} points' },
    points: { one: '{n} point', other: '{n} points' },
  },
  th: { earn: { other: 'รับ {n} คะแนน' }, points: { other: '{n} คะแนน' } },
  vi: { earn: { other: 'nhận {n} điểm' }, points: { other: '{n} điểm' } },
  uk: {
    earn: {
      one: 'отримайте {n} бал',
      few: 'отримайте {n} бали',
      many: 'отримайте {n} балів',
      other: 'отримайте {n} бала',
    },
    points: { one: '{n} бал', few: '{n} бали', many: '{n} балів', other: '{n} бала' },
  },
};

interface Product {
  sku: string;
  category?: string;
  price: number;
  currency?: string;
}

interface Member {
  points_available: number;
  tier: { name: string } | null;
}

interface Shown {
  key: string; // the product shown (or being asked for); "" when none
  node: HTMLElement;
}

interface PatronApi {
  ready: Promise<void>;
  refresh: () => Promise<void>;
}

declare global {
  interface Window {
    Patron?: PatronApi;
  }
}

// The tag that loaded us: read at once, while it runs (an async classic script has it too).
const script = (document.currentScript ??
  document.querySelector('script[data-key][src*="embed.js"]')) as HTMLScriptElement | null;

function start(tag: HTMLScriptElement): PatronApi {
  const key = tag.dataset.key ?? '';
  const memberToken = tag.dataset.memberToken ?? '';
  // The API beside the script: https://loyalty.example/embed.js -> https://loyalty.example/v1/...
  const base = new URL('./', tag.src);
  let warned = false;
  let points = new Map<string, Promise<number | null>>();
  let member: Promise<Member | null> | undefined;
  const shown = new WeakMap<Element, Shown>();
  const ours = new WeakSet<Node>();

  const warn = (why: string) => {
    if (!warned) {
      warned = true;
      console.warn(`Patron: points are not shown (${why})`);
    }
  };

  // The page's language (<html lang>, else the browser's), its messages and number format.
  const language = () => {
    const tags = [document.documentElement.lang, navigator.language, 'en'];
    for (const t of tags) {
      const lang = (t ?? '').toLowerCase().split('-')[0];
      // Own keys only: "constructor" or "__proto__" is in every object, and is no language.
      if (Object.hasOwn(CATALOG, lang)) {
        return { lang, messages: CATALOG[lang] };
      }
    }
    return { lang: 'en', messages: CATALOG.en };
  };
  const say = (forms: Forms, n: number): string => {
    const { lang } = language();
    const form = new Intl.PluralRules(lang).select(n);
    return (forms[form] ?? forms.other).replace('{n}', new Intl.NumberFormat(lang).format(n));
  };

  // Requests, MAX_IN_FLIGHT at a time: a finished one hands its place to the next waiting.
  let active = 0;
  const waiting: (() => void)[] = [];
  const limited = async <T>(run: () => Promise<T>): Promise<T> => {
    if (active < MAX_IN_FLIGHT) {
      active++;
    } else {
      await new Promise<void>((go) => waiting.push(go));
    }
    try {
      return await run();
    } finally {
      const next = waiting.shift();
      if (next !== undefined) {
        next();
      } else {
        active--;
      }
    }
  };

  const call = (path: string, init: RequestInit, headers: Record<string, string>) =>
    limited(async () => {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
      try {
        const response = await fetch(new URL(path, base), {
          ...init,
          headers: { Authorization: `Bearer ${key}`, ...headers },
          mode: 'cors',
          credentials: 'omit',
          signal: abort.signal,
        });
        const body: unknown = await response.json().catch(() => null);
        if (!response.ok) {
          const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
          throw new Error(`HTTP ${response.status}${typeof code === 'string' ? ' ' + code.slice(0, 64) : ''}`);
        }
        return body as Record<string, unknown> | null;
      } finally {
        clearTimeout(timer);
      }
    });

  const earned = (product: Product): Promise<number | null> =>
    call(
      'v1/carts/evaluate',
      {
        method: 'POST',
        body: JSON.stringify({
          ...(product.currency !== undefined ? { currency: product.currency } : {}),
          items: [
            {
              sku: product.sku,
              ...(product.category !== undefined ? { category: product.category } : {}),
              quantity: 1,
              unit_price: product.price,
            },
          ],
        }),
      },
      { 'Content-Type': 'application/json' },
    ).then(
      (answer) => {
        const n = answer?.points;
        return typeof n === 'number' && Number.isSafeInteger(n) ? n : null;
      },
      (e: unknown) => {
        warn(e instanceof Error ? e.message : 'no answer');
        return null;
      },
    );

  const signedIn = (): Promise<Member | null> =>
    call('v1/embed/member', { method: 'GET' }, { 'X-Patron-Member-Token': memberToken }).then(
      (answer) => {
        const n = answer?.points_available;
        const tier = answer?.tier as { name?: unknown } | null | undefined;
        if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
          throw new Error('unexpected answer');
        }
        return { points_available: n, tier: typeof tier?.name === 'string' ? { name: tier.name } : null };
      },
    ).catch((e: unknown) => {
      warn(e instanceof Error ? e.message : 'no answer');
      return null;
    });

  const bytes = (s: string) => new TextEncoder().encode(s).length;
  const text = (el: HTMLElement, name: string): string | undefined | null => {
    const value = el.getAttribute(name);
    if (value === null || value === '') {
      return undefined;
    }
    return bytes(value) <= TEXT_BYTES_MAX ? value : null;
  };

  // The product of a priced element; null when an attribute is not what the API takes.
  const productOf = (el: HTMLElement): Product | null => {
    const price = (el.getAttribute('data-patron-price') ?? '').trim();
    const sku = text(el, 'data-patron-sku');
    const category = text(el, 'data-patron-category');
    const currency = el.getAttribute('data-patron-currency') || undefined;
    if (!PRICE.test(price) || sku === null || category === null ||
        (currency !== undefined && !CURRENCY.test(currency))) {
      warn('a data-patron- attribute is not valid');
      return null;
    }
    return { sku: sku ?? 'product', category, price: Number(price), currency };
  };

  const clear = (el: HTMLElement) => {
    el.textContent = '';
    el.hidden = true;
  };

  // The "earn N points" element of a priced element, made once and kept right after it.
  const slot = (el: HTMLElement): Shown => {
    let s = shown.get(el);
    if (s === undefined) {
      const node = document.createElement('span');
      node.className = 'patron-earn';
      ours.add(node);
      clear(node);
      s = { key: '', node };
      shown.set(el, s);
    }
    if (s.node.previousSibling !== el) {
      el.after(s.node);
    }
    return s;
  };

  const showPrices = async () => {
    const work: Promise<void>[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('[data-patron-price]')) {
      const s = slot(el);
      const product = productOf(el);
      const id = product === null ? '' : JSON.stringify([product.sku, product.category, product.price, product.currency]);
      if (id === s.key) {
        continue; // shown, or on its way
      }
      s.key = id;
      clear(s.node);
      if (product === null) {
        continue;
      }
      let n = points.get(id);
      if (n === undefined) {
        if (points.size >= MAX_PRODUCTS) {
          warn(`more than ${MAX_PRODUCTS} products on the page`);
          continue;
        }
        n = earned(product);
        points.set(id, n);
      }
      work.push(
        n.then((value) => {
          if (s.key === id && value !== null && value > 0) {
            s.node.textContent = say(language().messages.earn, value);
            s.node.hidden = false;
          }
        }),
      );
    }
    await Promise.all(work);
  };

  const showBalance = async () => {
    const places = [...document.querySelectorAll<HTMLElement>('[data-patron-balance]')];
    if (places.length === 0) {
      return;
    }
    if (memberToken === '') {
      places.forEach(clear);
      return;
    }
    member ??= signedIn();
    const m = await member;
    for (const el of places) {
      if (m === null) {
        clear(el);
        continue;
      }
      const amount = document.createElement('span');
      amount.className = 'patron-points';
      amount.textContent = say(language().messages.points, m.points_available);
      const parts: Node[] = [amount];
      if (m.tier !== null) {
        const tier = document.createElement('span');
        tier.className = 'patron-tier';
        tier.textContent = m.tier.name;
        parts.push(document.createTextNode(' · '), tier);
      }
      parts.forEach((p) => ours.add(p));
      el.replaceChildren(...parts);
      el.hidden = false;
    }
  };

  const scan = async () => {
    try {
      await Promise.all([showPrices(), showBalance()]);
    } catch (e) {
      warn(e instanceof Error ? e.name : 'error');
    }
  };

  // Products the page adds later (or whose attributes change) are shown RESCAN_MS after the
  // last change; our own elements are no change.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const observer = new MutationObserver((records) => {
    const changed = records.some(
      (r) => r.type === 'attributes' || [...r.addedNodes].some((n) => n instanceof Element && !ours.has(n)),
    );
    if (changed) {
      clearTimeout(timer);
      timer = setTimeout(() => void scan(), RESCAN_MS);
    }
  });

  const ready = new Promise<void>((done) => {
    const go = () => {
      observer.observe(document.documentElement, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: [
          'data-patron-price', 'data-patron-sku', 'data-patron-category', 'data-patron-currency', 'data-patron-balance',
        ],
      });
      void scan().then(done);
    };
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', go, { once: true });
    } else {
      go();
    }
  });

  return {
    ready,
    // Asks again for everything (after the shop's page changed the member or its prices).
    refresh: async () => {
      await ready;
      points = new Map();
      member = undefined;
      warned = false;
      for (const el of document.querySelectorAll('[data-patron-price]')) {
        const s = shown.get(el);
        if (s !== undefined) {
          s.key = '\0';
        }
      }
      await scan();
    },
  };
}

try {
  if (script !== null && window.Patron === undefined) {
    window.Patron = start(script);
  }
} catch (e) {
  console.warn(`Patron: points are not shown (${e instanceof Error ? e.name : 'error'})`);
}
