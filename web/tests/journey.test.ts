// SPDX-License-Identifier: MIT
// The three faces together (issue 19's journey), on one `patron serve`, each in its own browser
// context as on its own device: the admin at a desktop creates and activates a bonus rule
// (double points on coffee beans) and a reward on the dashboard; a member joins on the portal on
// a phone and sees the card and 0 points; the cashier at a tablet finds the member by card number
// (typed, as a USB scanner types it), builds a cart with beans, sees the points the rule gives
// and records the purchase; the member sees the points, redeems the reward and shows its code;
// the cashier scans the code off the member's screen with the camera (Chromium's fake camera
// films the QR code the phone shows), sees it verified and redeems it; the member's screen turns
// to "used"; the same code again is refused at the till. Everything is done through the pages;
// the API is only read, to check what they say. Each step is photographed
// (web/test-results/screenshots/journey-*).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { decodeImage } from '../src/till/decode';
import { blankFrame, cameraBrowser, frame, imageData, y4m } from './camera';
import { DESKTOP, type OpenedPage, PHONE, type Server, catalog, createUser, openPage, screenshots, startServer } from './harness';
import { PASSWORD, unexpected } from './portal-helpers';
import { apiCall, expected, fill, msg, problemsLeft, signIn as tillSignIn } from './till-fixture';

const en = catalog('en');
const TABLET = { width: 1024, height: 768 };
const ADMIN = { email: 'olive@example.com', name: 'Olive Owner', role: 'admin' as const, password: 'owner password 1' };
const CASHIER = { email: 'carl@example.com', name: 'Carl Cashier', role: 'staff' as const, password: 'counter password 1' };
const MEMBER = { email: 'mai@example.com', first: 'Mai', last: 'Tran' };
const RULE = {
  name: 'Double points on coffee beans',
  trigger: 'purchase',
  items: { eq: ['item.category', 'beans'] },
  effects: [{ type: 'award_points', multiplier: 2 }],
};
const REWARD = { name: 'Free filter coffee', sku: 'FILTER', cost: 50 };
// The cart: two bags of beans (the rule's category) and a muffin (not).
const BEANS = { sku: 'BEANS', name: 'House beans 250 g', category: 'beans', quantity: 2, price: 1200 };
const MUFFIN = { sku: 'MUF', name: 'Blueberry muffin', category: 'food', quantity: 1, price: 400 };

let server: Server;
let browser: Browser;
let dir: string;
let video: string;
let admin: OpenedPage;
let phone: OpenedPage;
let till: OpenedPage;
const journey: { rewardId?: string; memberId?: string; card?: string; points?: number; code?: string } = {};

before(async () => {
  server = await startServer();
  createUser(server, ADMIN);
  createUser(server, CASHIER);
  // One Chromium for the three devices; its camera films a blank picture until the member's
  // code is there to be filmed.
  dir = mkdtempSync(join(tmpdir(), 'patron-journey-'));
  video = join(dir, 'camera.y4m');
  y4m(blankFrame(), video);
  browser = await cameraBrowser(video);
});

after(async () => {
  for (const opened of [admin, phone, till]) {
    await opened?.context.close();
  }
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// A device: its own context (cookies, storage), its screen size, a shorter wait for what never
// comes than the harness's.
async function device(path: string, viewport: { width: number; height: number }): Promise<OpenedPage> {
  const opened = await openPage(browser, server.url + path, { viewport });
  opened.context.setDefaultTimeout(15_000);
  return opened;
}

// The step's picture, at phone and desktop widths (the harness's), from the top of the page;
// the device keeps its own screen size. The portal's tab bar, stuck to the bottom of a phone's
// screen, is put back at the page's end for a full-page picture (as portal-helpers.shoot does).
async function shot(page: Page, name: string, viewport: { width: number; height: number }): Promise<void> {
  await page.evaluate(() => {
    window.scrollTo(0, 0);
    document.querySelector<HTMLElement>('.pt-nav')?.style.setProperty('position', 'static');
  });
  await screenshots(page, 'journey', name);
  await page.evaluate(() => document.querySelector<HTMLElement>('.pt-nav')?.style.removeProperty('position'));
  await page.setViewportSize(viewport);
}

const balance = async () => (await apiCall<{ available: number }>(server, 'GET', `/v1/members/${journey.memberId}/balance`)).available;

describe('the journey through the three faces', () => {
  test('1. the admin creates and activates a bonus rule and a reward on the dashboard', async () => {
    admin = await device('/', DESKTOP);
    const { page, problems } = admin;
    await page.getByRole('heading', { level: 1, name: en['signin.title'] }).waitFor();
    await page.getByLabel(en['signin.email']!, { exact: true }).fill(ADMIN.email);
    await page.getByLabel(en['signin.password']!, { exact: true }).fill(ADMIN.password);
    await page.getByRole('button', { name: en['signin.submit'] }).click();
    const nav = page.locator('.dash-nav');

    // The rule, written in the editor, saved as a draft, then activated.
    await nav.getByRole('link', { name: en['dash.nav.rules'], exact: true }).click();
    await page.getByRole('button', { name: en['dash.rules.new'] }).click();
    await page.getByLabel(en['dash.rules.document']!, { exact: true }).fill(JSON.stringify(RULE, null, 2));
    await page.getByRole('button', { name: en['dash.rules.save_draft'] }).click();
    await page.getByRole('heading', { level: 1, name: RULE.name }).waitFor();
    await page.getByRole('button', { name: en['dash.rules.activate'] }).click();
    await page.getByText(en['dash.rules.done_activate']!).waitFor();
    assert.equal(await page.locator('.dash-page-header .dash-badge').textContent(), en['dash.status.active']);
    const ruleId = page.url().split('/').pop()!;
    assert.equal((await apiCall<{ status: string }>(server, 'GET', `/v1/rules/${ruleId}`)).status, 'active');
    await shot(page, '1-dashboard-rule', DESKTOP);

    // The reward, in the catalog.
    await nav.getByRole('link', { name: en['dash.nav.rewards'], exact: true }).click();
    await page.getByRole('button', { name: en['dash.rewards.new'] }).click();
    await page.getByLabel(en['dash.rewards.name']!, { exact: true }).fill(REWARD.name);
    await page.getByLabel(en['dash.rewards.type']!, { exact: true }).selectOption('free_product');
    await page.getByLabel(en['dash.rewards.sku']!, { exact: true }).fill(REWARD.sku);
    await page.getByLabel(en['dash.rewards.cost_points']!, { exact: true }).fill(String(REWARD.cost));
    await page.getByRole('button', { name: en['dash.rewards.create'] }).click();
    await page.getByRole('heading', { level: 1, name: REWARD.name }).waitFor();
    journey.rewardId = page.url().split('/').pop()!;
    const reward = await apiCall<{ status: string; type: string; sku: string; cost_points: number }>(
      server,
      'GET',
      `/v1/rewards/${journey.rewardId}`,
    );
    assert.deepEqual([reward.status, reward.type, reward.sku, reward.cost_points], ['active', 'free_product', REWARD.sku, REWARD.cost]);
    await shot(page, '1-dashboard-reward', DESKTOP);
    // The overview's figures are newer than some servers (404 there, said in place).
    assert.deepEqual(
      problems.filter((p) => !/^console: Failed to load resource/.test(p) && !/answer 404: GET .*\/v1\/program\/summary/.test(p)),
      [],
    );
  });

  test('2. a member joins on the portal, on a phone, and sees the card and 0 points', async () => {
    phone = await device('/portal/join', PHONE);
    const { page, problems } = phone;
    await page.getByRole('heading', { level: 1, name: en['portal.join.title'] }).waitFor();
    await page.getByLabel(en['portal.field.email']!, { exact: true }).fill(MEMBER.email);
    await page.getByLabel(en['signin.password']!, { exact: true }).fill(PASSWORD);
    await page.getByLabel(en['portal.field.first_name']!, { exact: true }).fill(MEMBER.first);
    await page.getByLabel(en['portal.field.last_name']!, { exact: true }).fill(MEMBER.last);
    await page.getByRole('button', { name: en['portal.join.submit'] }).click();
    await page.getByRole('heading', { level: 1, name: msg('portal.home.hello', { name: MEMBER.first }) }).waitFor();
    assert.equal((await page.getByTestId('points-available').innerText()).replace(/\s+/g, ' '), '0 points');
    const found = await apiCall<{ data: { id: string; card_number: string }[] }>(
      server,
      'GET',
      `/v1/members?email=${encodeURIComponent(MEMBER.email)}`,
    );
    assert.equal(found.data.length, 1);
    journey.memberId = found.data[0]!.id;
    journey.card = found.data[0]!.card_number;
    // The card: its number in groups of four, its QR code and barcode drawn.
    const grouped = journey.card.replace(/(\d{4})(?=\d)/g, '$1 ');
    assert.equal(await page.getByTestId('card-digits').innerText(), grouped);
    for (const img of [
      page.getByRole('img', { name: msg('portal.card.qr_alt', { number: grouped }) }),
      page.getByRole('img', { name: msg('portal.card.barcode_alt', { number: grouped }) }),
    ]) {
      await img.waitFor();
      assert.ok(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0));
    }
    await shot(page, '2-portal-joined', PHONE);
    assert.deepEqual(unexpected(problems, [/\/purchases/]), []);
  });

  test('3. the cashier finds the member by card, sees the rule’s points and records the purchase', async () => {
    till = await device('/till/', TABLET);
    const { page, problems } = till;
    await till.context.grantPermissions(['camera'], { origin: server.url });
    await tillSignIn(page, CASHIER);
    // The search field has the focus: a USB scanner types the card number and Enter.
    await page.keyboard.type(journey.card!, { delay: 5 });
    await page.keyboard.press('Enter');
    await page.locator('#till-member-name').filter({ hasText: `${MEMBER.first} ${MEMBER.last}` }).waitFor();
    await page.getByTestId('member-points').filter({ hasText: '0' }).waitFor();

    for (const line of [BEANS, MUFFIN]) {
      await fill(page, { ...line, quantity: String(line.quantity), price: (line.price / 100).toFixed(2) });
      await page.keyboard.press('Enter');
    }
    // The program's rate (1 point per 1.00 unless changed) on the whole cart, and the rule's
    // double on the beans: the base again on their amount.
    const program = await apiCall<{ earn_rate: { points: number; per_amount: number } }>(server, 'GET', '/v1/program');
    const rate = (amount: number) => Math.floor((amount * program.earn_rate.points) / program.earn_rate.per_amount);
    const beans = BEANS.quantity * BEANS.price;
    const total = beans + MUFFIN.quantity * MUFFIN.price;
    const points = rate(total) + rate(beans) * (2 - 1);
    assert.equal(points, 52, 'at 1 point per 1.00: 28 for the cart and 24 more for the beans');
    journey.points = points;
    await page.getByTestId('eval-amount').filter({ hasText: `$${(total / 100).toFixed(2)}` }).waitFor();
    await page.getByTestId('eval-points').filter({ hasText: new RegExp(`^${points}$`) }).waitFor();
    // Where they come from: the base, and the rule's extra.
    const breakdown = await page.locator('.till-breakdown li').evaluateAll((lis) =>
      lis.map((li) => [...li.querySelectorAll('span')].map((s) => s.textContent).join(': ')),
    );
    assert.deepEqual(breakdown, [
      `${en['till.eval_base_points']}: ${rate(total)}`,
      `${RULE.name}: ${msg('till.eval_rule_points', { points: rate(beans) })}`,
    ]);
    await shot(page, '3-till-cart', TABLET);

    await page.getByRole('button', { name: en['till.record'] }).click();
    await page.getByRole('heading', { name: en['till.result_title'] }).waitFor();
    assert.equal(await page.getByTestId('result-points').textContent(), String(points));
    assert.equal(await page.getByTestId('result-balance').textContent(), String(points));
    await page.getByTestId('member-points').filter({ hasText: String(points) }).waitFor();
    assert.equal(await balance(), points);
    await shot(page, '3-till-recorded', TABLET);
    assert.deepEqual(problemsLeft(problems), []);
  });

  test('4. the member sees the points, redeems the reward and shows its code', async () => {
    const { page, problems } = phone;
    await page.reload();
    await page.getByTestId('points-available').filter({ hasText: String(journey.points) }).waitFor();
    assert.equal((await page.getByTestId('points-available').innerText()).replace(/\s+/g, ' '), `${journey.points} points`);
    await shot(page, '4-portal-points', PHONE);

    await page.getByRole('link', { name: en['portal.nav.rewards'] }).first().click();
    const reward = page.locator(`[data-reward="${journey.rewardId}"]`);
    await reward.getByTestId('affordable').waitFor();
    await reward.getByRole('button', { name: en['portal.rewards.redeem'] }).click();
    const dialog = page.getByRole('dialog', { name: msg('portal.rewards.confirm_title', { name: REWARD.name }) });
    await dialog.getByRole('button', { name: en['portal.rewards.confirm'] }).click();
    await page.waitForURL(/\/portal\/coupons\/[0-9A-Z-]+$/);
    journey.code = decodeURIComponent(page.url().split('/coupons/')[1]!);
    await page.getByRole('heading', { level: 1, name: REWARD.name }).waitFor();
    const status = page.getByTestId('coupon-status');
    assert.equal(await status.getAttribute('data-state'), 'active');
    const shown = await page.getByTestId('coupon-code').innerText();
    assert.equal(shown.replace(/-/g, ''), journey.code.replace(/-/g, ''));
    const qr = page.getByRole('img', { name: msg('portal.coupon.qr_alt', { code: shown }) });
    const barcode = page.getByRole('img', { name: msg('portal.coupon.barcode_alt', { code: shown }) });
    for (const img of [qr, barcode]) {
      await img.waitFor();
      assert.ok(await img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0));
    }
    assert.equal(await balance(), journey.points! - REWARD.cost);
    await shot(page, '4-portal-code', PHONE);
    assert.deepEqual(unexpected(problems, [/\/purchases/]), []);
  });

  test('5. the cashier scans the code off the phone with the camera and redeems it', async () => {
    // What the phone's screen shows, filmed by the till's camera.
    const picture = { type: 'image/png', bytes: await phone.page.getByRole('img', { name: /^QR code/ }).screenshot() };
    const grey = await frame(browser, picture);
    assert.equal(decodeImage(imageData(grey))?.replace(/-/g, ''), journey.code!.replace(/-/g, ''), 'the picture can be read');
    y4m(grey, video);

    const { page, problems } = till;
    await page.getByRole('link', { name: en['till.nav.coupons'] }).click();
    await page.getByRole('heading', { level: 1, name: en['till.coupons_title'] }).waitFor();
    await page.getByRole('button', { name: en['till.scan'] }).click();
    const status = page.getByTestId('coupon-status');
    await status.filter({ hasText: en['till.coupon_status.active'] }).waitFor({ timeout: 30_000 });
    // Verified: what it gives and for whom.
    const card = page.locator('.till-coupon');
    const facts = async () => Object.fromEntries(
      await card.locator('.till-props > div').evaluateAll((divs) =>
        divs.map((d) => [d.querySelector('dt')?.textContent ?? '', d.querySelector('dd')?.textContent ?? '']),
      ),
    ) as Record<string, string>;
    const verified = await facts();
    assert.equal(verified[en['till.coupon_gives']!], `${REWARD.name} — ${msg('till.coupon_gives_product', { sku: REWARD.sku })}`);
    assert.equal(verified[en['till.coupon_for']!], `${MEMBER.first} ${MEMBER.last} · ${journey.card!.replace(/(\d{4})(?=\d)/g, '$1 ')}`);
    assert.ok(verified[en['till.coupon_until']!], 'its end of validity is shown');
    await shot(page, '5-till-verified', TABLET);

    await page.getByRole('button', { name: en['till.coupon_redeem'], exact: true }).click();
    await page.getByText(en['till.coupon_redeemed']!).waitFor();
    await status.filter({ hasText: en['till.coupon_status.done'] }).waitFor();
    const coupon = await apiCall<{ status: string; member_id?: string }>(server, 'GET', `/v1/coupons/${encodeURIComponent(journey.code!)}`);
    assert.equal(coupon.status, 'redeemed');
    await shot(page, '5-till-redeemed', TABLET);
    assert.deepEqual(problemsLeft(problems), []);
  });

  test('6. the member’s code screen turns to "used"', async () => {
    const { page, problems } = phone;
    // The page asks every few seconds while the code shows.
    await page.locator('[data-testid="coupon-status"][data-state="redeemed"]').waitFor({ timeout: 10_000 });
    await page.getByText(en['portal.coupon.used']!, { exact: true }).waitFor();
    assert.equal(await page.getByRole('img', { name: /^QR code/ }).count(), 0, 'a used code is no longer shown to scan');
    await shot(page, '6-portal-used', PHONE);
    assert.deepEqual(unexpected(problems, [/\/purchases/]), []);
  });

  test('7. the same code again is refused at the till', async () => {
    const { page, problems } = till;
    const input = page.getByLabel(en['till.coupon_label']!);
    await input.fill('');
    // The scanner types the code and Enter.
    await page.keyboard.type(journey.code!, { delay: 5 });
    await page.keyboard.press('Enter');
    await page.getByTestId('coupon-status').filter({ hasText: en['till.coupon_status.redeemed'] }).waitFor();
    await page.getByRole('button', { name: en['till.coupon_redeem'], exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: en['till.coupon_refused']! });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', new RegExp(en['till.reason.already_redeemed']!.replace('.', '\\.')));
    await shot(page, '7-till-refused', TABLET);
    // Nothing changed: the member's points are as the redemption left them.
    assert.equal(await balance(), journey.points! - REWARD.cost);
    assert.deepEqual(problemsLeft(problems, expected(409, 'POST', /\/v1\/coupons\/.*\/redeem/)), []);
  });
});
