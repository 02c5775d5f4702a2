// SPDX-License-Identifier: MIT
// The web shops' script (/embed.js, docs/web.md "Points beside the price in a web shop") on a
// plain HTML shop page served by this test from ANOTHER origin of the loopback, as a web shop
// would: the one tag with a publishable key whose allowed origin is exactly the shop's and a
// member token the test signs as the shop's server would (HMAC-SHA256 with the program's embed
// secret). Each product shows the points its one-item cart earns (computed here from the earn
// rate and the public bonus rule), the bonus product more; the header shows the member's points
// and tier; identical products are asked once; a product the page adds later is shown too. A
// page on an origin the key does not allow, and a tampered token, show nothing and break
// nothing. The Thai page speaks Thai.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Server, WEB_DIR, launchBrowser, openPage, screenshots, startServer } from './harness';
import { type Api, must } from './portal-fixtures';

// The program: 1 point per 1.00 spent; "coffee beans" earn three times (a public rule).
const EARN = { points: 1, per_amount: 100 };
const BONUS = { category: 'coffee beans', multiplier: 3 };
const PRODUCTS = [
  { name: 'Ceramic mug', sku: 'MUG-1', price: 1250 },
  { name: 'House blend beans, 1 kg', sku: 'BEANS-1', category: BONUS.category, price: 1899 },
  { name: 'Paper filters', sku: 'FILTER-100', category: 'accessories', price: 399 },
  // The mug again (a "you may also like" row): the same cart, asked once.
  { name: 'Ceramic mug', sku: 'MUG-1', price: 1250 },
];
const ADDED = { name: 'Milk jug', sku: 'JUG-1', price: 2450 };

// What a one-item guest cart earns, as docs/rules.md says: floor(price × points / per_amount),
// and a multiplier rule adds the base earn of its items × (multiplier − 1).
function expectedPoints(p: { price: number; category?: string }): number {
  const base = Math.floor((p.price * EARN.points) / EARN.per_amount);
  return p.category === BONUS.category ? base + base * (BONUS.multiplier - 1) : base;
}

let server: Server;
let browser: Browser;
let admin: Api;
let shop: Shop;
let elsewhere: Shop;
let publishable = '';
let secret = '';
let memberId = '';
let balance = 0;
const TIER = 'Silver';

interface Shop {
  origin: string;
  close: () => Promise<void>;
}

interface PageOptions {
  lang: string;
  token: string;
}

const FONTS: Record<string, string> = {
  '/fonts/latin.woff2': '@fontsource/noto-sans/files/noto-sans-latin-400-normal.woff2',
  '/fonts/thai.woff2': '@fontsource/noto-sans-thai/files/noto-sans-thai-thai-400-normal.woff2',
};

// The shop's page: its own styles and fonts, a header with the member's place, the products
// with their prices in minor units, a basket button of its own, and the one tag.
function shopPage(o: PageOptions): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const money = (minor: number) => (minor / 100).toFixed(2);
  const item = (p: { name: string; sku: string; category?: string; price: number }) =>
    `<li class="product"><h2>${esc(p.name)}</h2><p class="price" data-patron-price="${p.price}" ` +
    `data-patron-sku="${esc(p.sku)}"${p.category ? ` data-patron-category="${esc(p.category)}"` : ''}>` +
    `$${money(p.price)}</p><button class="buy" type="button">Add to basket</button></li>`;
  return `<!doctype html>
<html lang="${o.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Bean There — coffee shop</title><link rel="icon" href="data:,">
<style>
@font-face { font-family: Shop; src: url(/fonts/latin.woff2) format("woff2"); }
@font-face { font-family: Shop; src: url(/fonts/thai.woff2) format("woff2"); unicode-range: U+0E00-0E7F; }
body { font-family: Shop, sans-serif; margin: 0; color: #222; background: #faf7f2; }
header { display: flex; justify-content: space-between; align-items: center; padding: 1rem; background: #3b2a20; color: #fff; }
header .basket { font-size: .9rem; }
[data-patron-balance] { background: #fff3d6; color: #3b2a20; border-radius: 1rem; padding: .25rem .75rem; font-size: .9rem; }
ul { list-style: none; margin: 0; padding: 1rem; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); }
.product { background: #fff; border-radius: .5rem; padding: 1rem; box-shadow: 0 1px 3px #0002; }
.product h2 { font-size: 1rem; margin: 0 0 .5rem; }
.price { display: inline-block; font-weight: bold; margin: 0 .5rem 0 0; }
.patron-earn { color: #6b3e00; font-size: .85rem; }
.buy { display: block; margin-top: .75rem; }
#more { margin: 0 1rem 1rem; }
</style></head>
<body>
<header><strong>Bean There</strong><span data-patron-balance></span><span class="basket">Basket: <output id="count">0</output></span></header>
<ul id="products">${PRODUCTS.map(item).join('')}</ul>
<button id="more" type="button">Show more</button>
<script>
  let count = 0;
  document.addEventListener('click', (e) => {
    if (e.target.classList.contains('buy')) document.getElementById('count').textContent = String(++count);
  });
  document.getElementById('more').addEventListener('click', () => {
    document.getElementById('products').insertAdjacentHTML('beforeend', ${JSON.stringify(item(ADDED))});
  });
</script>
<script src="${server.url}/embed.js" data-key="${esc(publishable)}"${o.token ? ` data-member-token="${esc(o.token)}"` : ''} async></script>
</body></html>`;
}

// A plain node http server on its own port of the loopback: another origin than patron's.
async function startShop(): Promise<Shop> {
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    const font = FONTS[url.pathname];
    if (font !== undefined) {
      res.writeHead(200, { 'Content-Type': 'font/woff2' });
      res.end(readFileSync(join(WEB_DIR, 'node_modules', font)));
      return;
    }
    if (url.pathname !== '/') {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(shopPage({ lang: url.searchParams.get('lang') ?? 'en', token: url.searchParams.get('token') ?? '' }));
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  const { port } = http.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((done) => http.close(() => done())),
  };
}

// What the shop's server writes into the tag for its signed-in customer (docs/web.md).
function memberToken(member: string, expires: number): string {
  const signed = `v1.${member}.${expires}`;
  return `${signed}.${createHmac('sha256', Buffer.from(secret, 'hex')).update(signed).digest('hex')}`;
}

before(async () => {
  server = await startServer();
  admin = { url: server.url, key: server.apiKey };
  shop = await startShop();
  elsewhere = await startShop();
  browser = await launchBrowser();
  await must(admin, 'PATCH', '/v1/program', {
    earn_rate: EARN,
    tiers: {
      metric: 'spend',
      window: { rolling_months: 12 },
      retain: false,
      levels: [
        { name: 'Member', threshold: 0 },
        { name: TIER, threshold: 50000 },
      ],
    },
  });
  const rule = await must<{ id: string }>(admin, 'POST', '/v1/rules', {
    name: '3x on beans',
    trigger: 'purchase',
    public: true,
    description: 'Coffee beans earn three times the points.',
    items: { eq: ['item.category', BONUS.category] },
    effects: [{ type: 'award_points', multiplier: BONUS.multiplier }],
  });
  await must(admin, 'POST', `/v1/rules/${rule.id}/activate`);
  const key = await must<{ api_key: string }>(admin, 'POST', '/v1/api-keys', {
    name: 'Web shop',
    role: 'publishable',
    allowed_origins: [shop.origin],
  });
  publishable = key.api_key;
  secret = (await must<{ secret: string }>(admin, 'POST', '/v1/embed/signing-secret')).secret;
  // A member with points (a purchase of 600.00 makes it Silver) and some more given by hand.
  memberId = (await must<{ id: string }>(admin, 'POST', '/v1/members', { email: 'ada@example.com', first_name: 'Ada' })).id;
  await must(admin, 'POST', '/v1/transactions', {
    external_id: 'embed-test-1', member_id: memberId, currency: 'USD', amount: 60000,
  });
  await must(admin, 'POST', `/v1/members/${memberId}/adjustments`, { points: 650, reason: 'welcome' });
  balance = (await must<{ available: number }>(admin, 'GET', `/v1/members/${memberId}/balance`)).available;
  assert.equal(balance, 1250);
  const tier = await must<{ tier: { name: string } | null }>(admin, 'GET', `/v1/members/${memberId}/tier`);
  assert.equal(tier.tier?.name, TIER, JSON.stringify(tier));
});

after(async () => {
  await browser?.close();
  await shop?.close();
  await elsewhere?.close();
  await server?.stop();
});

const token = () => memberToken(memberId, Math.floor(Date.now() / 1000) + 3600);

async function earnTexts(page: Page): Promise<string[]> {
  return page.$$eval('[data-patron-price]', (els) =>
    els.map((el) => {
      const next = el.nextElementSibling;
      return next !== null && next.classList.contains('patron-earn') && !(next as HTMLElement).hidden ? next.textContent ?? '' : '';
    }),
  );
}

async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as { Patron?: unknown }).Patron !== undefined);
  await page.evaluate(() => (window as unknown as { Patron: { ready: Promise<void> } }).Patron.ready);
}

test('each product shows the points its cart earns, and the header the member', async () => {
  const evaluations: string[] = [];
  const { context, page, problems } = await openPage(browser, 'about:blank', { locale: 'en-US' });
  const warnings: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  page.on('request', (r) => r.url().endsWith('/v1/carts/evaluate') && evaluations.push(r.postData() ?? ''));
  const t = token();
  await page.goto(`${shop.origin}/?token=${encodeURIComponent(t)}`);
  await settled(page);
  const expected = PRODUCTS.map((p) => `earn ${expectedPoints(p).toLocaleString('en-US')} points`);
  assert.deepEqual(await earnTexts(page), expected);
  assert.ok(expectedPoints(PRODUCTS[1]) > Math.floor(PRODUCTS[1].price / 100), 'the bonus shows more');
  // The same answer as the API gives the publishable key for that cart.
  const api = await fetch(`${server.url}/v1/carts/evaluate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${publishable}`, Origin: shop.origin, 'Content-Type': 'application/json' },
    body: JSON.stringify({ items: [{ sku: 'BEANS-1', category: BONUS.category, quantity: 1, unit_price: 1899 }] }),
  });
  const answer = (await api.json()) as { points: number };
  assert.equal(answer.points, expectedPoints(PRODUCTS[1]), JSON.stringify(answer));
  // Three different carts, three requests: the repeated mug is asked once.
  assert.equal(evaluations.length, 3, evaluations.join('\n'));
  for (const body of evaluations) {
    const cart = JSON.parse(body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(cart), ['items']);
  }
  const header = page.locator('[data-patron-balance]');
  assert.equal(await header.textContent(), `1,250 points · ${TIER}`);
  assert.equal(await header.locator('.patron-points').textContent(), '1,250 points');
  assert.equal(await header.locator('.patron-tier').textContent(), TIER);
  // The shop's own page works, and the script's text is text.
  await page.locator('.buy').first().click();
  assert.equal(await page.locator('#count').textContent(), '1');
  // A product the page adds later is shown after the page settles.
  await page.click('#more');
  await page.waitForFunction(
    (n) => document.querySelectorAll('.patron-earn:not([hidden])').length === n,
    PRODUCTS.length + 1,
  );
  assert.equal((await earnTexts(page)).at(-1), `earn ${expectedPoints(ADDED)} points`);
  assert.equal(evaluations.length, 4);
  // refresh() asks again, and shows the same.
  await page.evaluate(() => (window as unknown as { Patron: { refresh: () => Promise<void> } }).Patron.refresh());
  assert.equal(evaluations.length, 8);
  assert.deepEqual((await earnTexts(page)).slice(0, PRODUCTS.length), expected);
  assert.deepEqual(problems, []);
  assert.deepEqual(warnings, []);
  await screenshots(page, 'embed', 'shop');
  await context.close();
});

test('a Thai page speaks Thai', async () => {
  const { context, page, problems } = await openPage(browser, 'about:blank', { locale: 'en-US' });
  await page.goto(`${shop.origin}/?lang=th&token=${encodeURIComponent(token())}`);
  await settled(page);
  assert.deepEqual(
    await earnTexts(page),
    PRODUCTS.map((p) => `รับ ${expectedPoints(p)} คะแนน`),
  );
  assert.equal(await page.locator('[data-patron-balance]').textContent(), `1,250 คะแนน · ${TIER}`);
  assert.deepEqual(problems, []);
  await screenshots(page, 'embed', 'shop', 'th');
  await context.close();
});

test('the browser language is used when the page says none it knows; Ukrainian plurals', async () => {
  const { context, page, problems } = await openPage(browser, 'about:blank', { locale: 'uk-UA' });
  await page.goto(`${shop.origin}/?lang=`);
  await settled(page);
  // 12, 54, 3 points: "балів" (many), "бали" (few), "бали" (few).
  assert.deepEqual(await earnTexts(page), [
    'отримайте 12 балів', 'отримайте 54 бали', 'отримайте 3 бали', 'отримайте 12 балів',
  ]);
  // No member token: no balance, and nothing asked about one.
  assert.equal(await page.locator('[data-patron-balance]').textContent(), '');
  assert.equal(await page.locator('[data-patron-balance]').isHidden(), true);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a page language that names a property of every object is unknown, not a catalog', async () => {
  // <html lang="constructor">: no language of ours, so the browser's decides (Ukrainian here).
  for (const lang of ['constructor', 'toString', '__proto__']) {
    const { context, page, problems } = await openPage(browser, 'about:blank', { locale: 'uk-UA' });
    await page.goto(`${shop.origin}/?lang=${lang}`);
    await settled(page);
    assert.deepEqual((await earnTexts(page)).slice(0, 1), ['отримайте 12 балів'], lang);
    assert.deepEqual(problems, [], lang);
    await context.close();
  }
});

test('a tampered or expired member token shows no balance, and the prices still show', async () => {
  const good = token();
  const last = good.at(-1) === '0' ? '1' : '0';
  for (const bad of [good.slice(0, -1) + last, memberToken(memberId, Math.floor(Date.now() / 1000) - 10)]) {
    const { context, page, problems } = await openPage(browser, 'about:blank');
    const warnings: string[] = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await page.goto(`${shop.origin}/?token=${encodeURIComponent(bad)}`);
    await settled(page);
    assert.equal(await page.locator('[data-patron-balance]').textContent(), '');
    assert.equal(await page.locator('[data-patron-balance]').isHidden(), true);
    assert.equal((await earnTexts(page))[0], `earn ${expectedPoints(PRODUCTS[0])} points`);
    // The server's 401, and one warning that names neither the key nor the token.
    assert.deepEqual(problems.filter((p) => !p.includes('/v1/embed/member') && !p.includes('status of 401')), []);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^Patron: points are not shown \(HTTP 401 invalid_member_token\)$/);
    assert.ok(!warnings[0].includes(publishable) && !warnings[0].includes(bad));
    await context.close();
  }
});

test('on an origin the key does not allow, nothing shows and the shop still works', async () => {
  const { context, page, problems } = await openPage(browser, 'about:blank');
  const warnings: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${elsewhere.origin}/?token=${encodeURIComponent(token())}`);
  await settled(page);
  assert.deepEqual(await earnTexts(page), PRODUCTS.map(() => ''));
  assert.equal(await page.locator('.patron-earn').evaluateAll((els) => els.every((e) => e.textContent === '')), true);
  assert.equal(await page.locator('[data-patron-balance]').textContent(), '');
  assert.deepEqual(errors, []);
  await page.locator('.buy').nth(1).click();
  assert.equal(await page.locator('#count').textContent(), '1');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.ok(!warnings[0].includes(publishable), warnings[0]);
  // What the browser itself reports of the refusal (CORS), and nothing else.
  assert.ok(problems.some((p) => p.includes(`${server.url}/v1/carts/evaluate`)), problems.join('\n'));
  assert.deepEqual(
    problems.filter((p) => !p.includes('net::ERR_FAILED') && !p.includes(server.url + '/v1/')),
    [],
  );
  await context.close();
});
