// SPDX-License-Identifier: MIT
// The dashboard in a real browser against a real `patron serve` (harness.ts): an admin signs in,
// edits a program setting (and sees a refused one at its field), writes a rule with a mistake
// and sees it marked on its line, fixes it, activates it and runs the what-if; finds a member
// and adjusts points with a reason; creates a reward, a user and an API key (its secret shown
// once, and it works); a viewer sees everything and no write control; a staff user is sent to
// the till and the server refuses the admin routes to that session (the page's own fetch gets
// 403); the main flow by keyboard alone; every screen at phone and desktop widths, in English
// and in Thai, without sideways overflow on a phone.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  DESKTOP,
  PHONE,
  type Server,
  catalog,
  contrastProblems,
  createUser,
  fontsUsed,
  launchBrowser,
  openPage,
  screenshots,
  startServer,
} from './harness';

const en = catalog('en');
const th = catalog('th');
const ADMIN = { email: 'ada@example.com', name: 'Ada Admin', role: 'admin' as const, password: 'correct horse battery' };
const VIEWER = { email: 'vera@example.com', name: 'Vera Viewer', role: 'viewer' as const, password: 'viewer password 1' };
const STAFF = { email: 'sam@example.com', name: 'Sam Staff', role: 'staff' as const, password: 'staff password 1' };

let server: Server;
let browser: Browser;
const ids: Record<string, string> = {};

// A message of the catalog with its {placeholders} filled.
function msg(messages: Record<string, string>, key: string, params: Record<string, string | number> = {}): string {
  const text = messages[key];
  assert.ok(typeof text === 'string', `no message ${key}`);
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

async function call<T>(method: string, path: string, body?: unknown, key = server.apiKey): Promise<{ status: number; body: T }> {
  const response = await fetch(server.url + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function seed(): Promise<void> {
  await call('PATCH', '/v1/program', {
    currency: 'THB',
    time_zone: 'Asia/Bangkok',
    tiers: { metric: 'spend', window: { rolling_months: 12 }, retain: true, levels: [{ name: 'Member', threshold: 0 }, { name: 'Silver', threshold: 500000, perks: ['Free shipping'] }] },
  });
  const somchai = await call<{ id: string }>('POST', '/v1/members', { first_name: 'Somchai', last_name: 'Jaidee', email: 'somchai@example.com', phone: '+66812345670' });
  const ada = await call<{ id: string }>('POST', '/v1/members', { first_name: 'Ada', last_name: 'Lovelace', email: 'ada.l@example.com' });
  assert.equal(somchai.status, 201);
  ids.somchai = somchai.body.id;
  ids.ada = ada.body.id;
  for (const [n, amount] of [[1, 45000], [2, 12500]] as const) {
    const purchase = await call('POST', '/v1/transactions', {
      external_id: `R-${n}`,
      member_id: ids.somchai,
      currency: 'THB',
      amount,
      items: [{ sku: 'COF', category: 'coffee', quantity: 1, unit_price: amount }],
    });
    assert.equal(purchase.status, 201, JSON.stringify(purchase.body));
  }
  const reward = await call<{ id: string }>('POST', '/v1/rewards', { name: 'Free coffee', type: 'free_product', sku: 'COF', cost_points: 100, stock: 50, coupon_valid_days: 30 });
  ids.reward = reward.body.id;
  const card = await call<{ id: string }>('POST', '/v1/stamp-cards', { name: 'Coffee card', stamps_required: 8, stamps_per: 'purchase', reward: { reward_id: ids.reward } });
  ids.card = card.body.id;
  const batch = await call('POST', '/v1/coupon-batches', { name: 'May promo', discount: { type: 'discount_percent', value: 1000 }, count: 20, prefix: 'MAY26' });
  assert.equal(batch.status, 202);
}

before(async () => {
  server = await startServer();
  for (const user of [ADMIN, VIEWER, STAFF]) {
    createUser(server, user);
  }
  await seed();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// The answers a step expects to be refused: any other 4xx or 5xx, console error or exception is
// a problem of the page. (Each refused request also logs "Failed to load resource" on the
// console; the answer itself is what is judged.)
function unexpected(problems: string[], allowed: RegExp[] = []): string[] {
  // Routes this server may not have yet answer 404; the page says so in place.
  const missing = [/answer 404: GET .*\/v1\/program\/summary/, /answer 404: GET .*\/v1\/members\/[^/]+\/(coupons|purchases)/];
  return problems.filter(
    (p) => !/^console: Failed to load resource/.test(p) && ![...missing, ...allowed].some((re) => re.test(p)),
  );
}

async function signIn(page: Page, user: { email: string; password: string }, messages = en): Promise<void> {
  await page.getByLabel(messages['signin.email']!, { exact: true }).fill(user.email);
  await page.getByLabel(messages['signin.password']!, { exact: true }).fill(user.password);
  await page.getByRole('button', { name: messages['signin.submit'] }).click();
}

// Waits until the screen's heading is there and nothing is loading any more.
async function settled(page: Page, messages = en): Promise<void> {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForFunction(
    (loading) => ![...document.querySelectorAll('[role="status"], td')].some((el) => el.textContent === loading),
    messages['common.loading'],
  );
  await page.evaluate(() => document.fonts.ready);
}

async function go(page: Page, path: string, messages = en): Promise<void> {
  await page.goto(server.url + path);
  await settled(page, messages);
}

describe('an admin', () => {
  let page: Page;
  let problems: string[];
  let close: () => Promise<void>;

  before(async () => {
    const opened = await openPage(browser, server.url + '/', { viewport: DESKTOP });
    page = opened.page;
    problems = opened.problems;
    close = () => opened.context.close();
    await page.getByRole('heading', { level: 1, name: en['signin.title'] }).waitFor();
    await signIn(page, ADMIN);
    await page.locator('.dash-nav').getByRole('link', { name: en['dash.nav.members'], exact: true }).waitFor();
    await settled(page);
  });

  after(async () => close());

  // Each step judges the problems of its own requests.
  beforeEach(() => {
    problems.length = 0;
  });

  test('sees the overview with the program figures', async () => {
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Web test');
    const summary = await call<{
      members: { total: number };
      points: { issued: number; outstanding: number };
      liability: { amount: number };
      series: unknown[];
    }>('GET', '/v1/program/summary');
    if (summary.status === 200) {
      const kpi = (key: string) =>
        page.locator('.dash-kpi').filter({ has: page.locator('.dash-kpi-label', { hasText: new RegExp(`^${en[key]}$`) }) }).locator('.dash-kpi-value');
      const n = (v: number) => v.toLocaleString('en-US');
      assert.equal(await kpi('dash.home.members').textContent(), n(summary.body.members.total));
      assert.equal(await kpi('dash.home.issued').textContent(), n(summary.body.points.issued));
      assert.equal(await kpi('dash.home.outstanding').textContent(), n(summary.body.points.outstanding));
      // The liability in the program's currency (THB, two decimals), as Intl writes it.
      const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'THB' }).format(summary.body.liability.amount / 100);
      assert.equal(await kpi('dash.home.liability').textContent(), money);
      assert.ok(summary.body.series.length > 0);
      await page.locator('.dash-chart canvas').first().waitFor();
      assert.equal(await page.locator('.dash-chart canvas[role="img"]').count(), 3);
      await page.getByText(en['dash.home.table']!, { exact: true }).first().click();
      assert.equal(await page.locator('details[open] table tbody tr').count(), summary.body.series.length);
    } else {
      await page.getByText(en['dash.home.no_summary']!).waitFor();
    }
    assert.deepEqual(unexpected(problems), []);
  });

  test('edits a program setting, and a refused one is shown at its field', async () => {
    await page.locator('.dash-nav').getByRole('link', { name: en['dash.nav.program'], exact: true }).click();
    await settled(page);
    const points = page.getByLabel(en['dash.program.earn_points']!, { exact: true });
    await points.fill('3');
    await page.getByRole('button', { name: en['dash.program.save'] }).click();
    await page.getByRole('status').filter({ hasText: en['dash.saved']! }).waitFor();
    const program = await call<{ earn_rate: { points: number } }>('GET', '/v1/program');
    assert.equal(program.body.earn_rate.points, 3);

    const per = page.getByLabel(en['dash.program.earn_per_amount']!, { exact: true });
    await per.fill('0');
    await page.getByRole('button', { name: en['dash.program.save'] }).click();
    await page.waitForFunction(() => document.querySelector('[name="earn_rate.per_amount"]')?.getAttribute('aria-invalid') === 'true');
    const described = await per.getAttribute('aria-describedby');
    const error = await page.locator(`[id="${described!.split(' ').pop()}"]`).textContent();
    assert.match(error ?? '', /per_amount/);
    await screenshots(page, 'dashboard', 'program-error');
    await per.fill('25.00');
    await page.getByRole('button', { name: en['dash.program.save'] }).click();
    await page.getByRole('status').filter({ hasText: en['dash.saved']! }).waitFor();
    assert.equal(await per.getAttribute('aria-invalid'), null);
    assert.deepEqual(unexpected(problems, [/answer 400: PATCH .*\/v1\/program/]), []);
  });

  test('changes a tier, and a refused threshold is shown at its tier', async () => {
    await page.locator('.dash-nav').getByRole('link', { name: en['dash.nav.tiers'], exact: true }).click();
    await settled(page);
    const silver = page.locator('.pt-card', { has: page.getByRole('heading', { name: msg(en, 'dash.tiers.level', { n: 2 }) }) });
    const threshold = silver.getByLabel(en['dash.tiers.threshold']!, { exact: true });
    assert.equal(await threshold.inputValue(), '5000.00');
    await threshold.fill('0');
    await page.getByRole('button', { name: en['dash.tiers.save'] }).click();
    await page.waitForFunction(() => document.querySelector('[name="tiers.levels.1.threshold"]')?.getAttribute('aria-invalid') === 'true');
    assert.match((await silver.locator('.pt-error').textContent()) ?? '', /thresholds must increase/);
    await screenshots(page, 'dashboard', 'tiers-error');
    await threshold.fill('4000');
    await silver.getByLabel(en['dash.tiers.perks']!, { exact: true }).fill('Free shipping\nBirthday cake');
    await page.getByRole('button', { name: en['dash.tiers.save'] }).click();
    await page.getByRole('status').filter({ hasText: en['dash.saved']! }).waitFor();
    const program = await call<{ tiers: { levels: { threshold: number; perks?: string[] }[] } }>('GET', '/v1/program');
    assert.equal(program.body.tiers.levels[1]!.threshold, 400000);
    assert.deepEqual(program.body.tiers.levels[1]!.perks, ['Free shipping', 'Birthday cake']);
    assert.deepEqual(unexpected(problems, [/answer 400: PATCH .*\/v1\/program/]), []);
  });

  test('writes a rule with a mistake, sees it on its line, fixes it, activates it and simulates it', async () => {
    await page.locator('.dash-nav').getByRole('link', { name: en['dash.nav.rules'], exact: true }).click();
    await settled(page);
    await page.getByRole('button', { name: en['dash.rules.new'] }).click();
    await settled(page);
    const editor = page.getByLabel(en['dash.rules.document']!, { exact: true });
    const good = await editor.inputValue();
    assert.match(good, /"time\.weekday"/);
    // The deliberate mistake: a fact that does not exist, on line 5 of the template.
    const bad = good.replace('"time.weekday"', '"time.weekdya"');
    const line = bad.split('\n').findIndex((l) => l.includes('time.weekdya')) + 1;
    await editor.fill(bad);
    await page.getByRole('button', { name: en['dash.rules.save_draft'] }).click();
    const error = page.locator('.dash-editor-error');
    await error.waitFor();
    assert.equal(await editor.getAttribute('aria-invalid'), 'true');
    const text = (await error.textContent()) ?? '';
    assert.ok(text.startsWith(msg(en, 'dash.editor.at_line', { line })), text);
    assert.match(text, /conditions\.in\.0/);
    assert.match(text, /time\.weekdya/);
    // The marked line is the faulty one, in the gutter and behind the text, and it is selected.
    assert.deepEqual(await page.locator('.dash-editor-gutter .dash-editor-mark').allTextContents(), [String(line)]);
    assert.match((await page.locator('.dash-editor-line-error').allTextContents()).join('\n'), /time\.weekdya/);
    assert.equal(await editor.evaluate((el: HTMLTextAreaElement) => el.value.slice(el.selectionStart, el.selectionEnd)), '"time.weekdya"');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'TEXTAREA');
    await screenshots(page, 'dashboard', 'rule-error');

    await editor.fill(good);
    await page.getByRole('button', { name: en['dash.rules.save_draft'] }).click();
    const name = JSON.parse(good).name as string;
    await page.getByRole('heading', { level: 1, name }).waitFor();
    await settled(page);
    ids.rule = page.url().split('/').pop()!;
    assert.match(ids.rule, /^rul_/);
    assert.equal(await page.locator('.dash-page-header .dash-badge').textContent(), en['dash.status.draft']);

    await page.getByRole('button', { name: en['dash.rules.activate'] }).click();
    await page.getByText(en['dash.rules.done_activate']!).waitFor();
    assert.equal(await page.locator('.dash-page-header .dash-badge').textContent(), en['dash.status.active']);
    const rule = await call<{ status: string; version: number }>('GET', `/v1/rules/${ids.rule}`);
    assert.equal(rule.body.status, 'active');

    // What if it gave 10 points on every day: the page shows what the API answers for the same
    // question, readably.
    const saved = await editor.inputValue();
    const changed = saved.replace('[6, 7]', '[1, 2, 3, 4, 5, 6, 7]').replace(/"multiplier": 2/, '"points": 10');
    assert.notEqual(changed, saved);
    await editor.fill(changed);
    await page.getByRole('button', { name: en['dash.sim.run'] }).click();
    const result = page.locator('.dash-sim');
    await result.waitFor();
    const from = await page.getByLabel(en['dash.sim.from']!, { exact: true }).inputValue();
    const to = await page.getByLabel(en['dash.sim.to']!, { exact: true }).inputValue();
    const asked = await call<{ purchases: number; members_affected: number; actual_points: number; simulated_points: number; extra_points: number }>(
      'POST',
      '/v1/rules/simulate',
      {
        rule_id: ids.rule,
        changes: { conditions: { in: ['time.weekday', [1, 2, 3, 4, 5, 6, 7]] }, effects: [{ type: 'award_points', points: 10 }] },
        from: `${from}T00:00:00Z`,
        to: `${to}T00:00:00Z`,
      },
    );
    assert.equal(asked.status, 200, JSON.stringify(asked.body));
    assert.equal(asked.body.purchases, 2);
    // The base rate is the program's now (changed by the settings step), so the difference
    // holds the rule's 2 × 10 points and the new rate's: the page says what the API says.
    const sim = (await result.textContent()) ?? '';
    const n = (v: number) => v.toLocaleString('en-US');
    assert.ok(sim.includes(msg(en, 'dash.sim.summary', { purchases: 2, members: 1, from: '', to: '' }).split(' from')[0]!), sim);
    const extra = asked.body.extra_points;
    assert.ok(sim.includes(msg(en, extra >= 0 ? 'dash.sim.extra' : 'dash.sim.fewer', { points: n(Math.abs(extra)) })), sim);
    assert.ok(sim.includes(n(asked.body.actual_points)) && sim.includes(n(asked.body.simulated_points)), sim);
    await screenshots(page, 'dashboard', 'rule-simulation');
    // Versions: created as a draft, then activated.
    await page.locator('table', { hasText: en['dash.rules.updated_by']! }).locator('tbody tr').nth(1).waitFor();
    assert.deepEqual(unexpected(problems, [/answer 400: POST .*\/v1\/rules$/]), []);
  });

  test('finds a member and adjusts points with a reason', async () => {
    await page.getByRole('link', { name: en['dash.nav.members'], exact: true }).click();
    await settled(page);
    await page.getByLabel(en['dash.members.q']!, { exact: true }).fill('Somch');
    await page.getByRole('button', { name: en['dash.members.search'], exact: true }).click();
    await page.waitForURL(/\?q=Somch/);
    const rows = page.locator('table tbody tr');
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
    await rows.getByRole('link', { name: 'Somchai Jaidee' }).click();
    await page.getByRole('heading', { level: 1, name: 'Somchai Jaidee' }).waitFor();
    await settled(page);
    const before = await call<{ available: number }>('GET', `/v1/members/${ids.somchai}/balance`);

    await page.getByLabel(en['dash.member.adjust_points']!, { exact: true }).fill('0');
    await page.getByLabel(en['dash.member.adjust_reason']!, { exact: true }).fill('Goodwill');
    await page.getByRole('button', { name: en['dash.member.adjust_submit'] }).click();
    await page.getByText(en['dash.member.adjust_zero']!).waitFor();

    await page.getByLabel(en['dash.member.adjust_points']!, { exact: true }).fill('50');
    await page.getByLabel(en['dash.member.adjust_reason']!, { exact: true }).fill('Goodwill for a late delivery');
    await page.getByRole('button', { name: en['dash.member.adjust_submit'] }).click();
    const done = msg(en, 'dash.member.adjusted', { points: '+50', balance: String(before.body.available + 50) });
    await page.getByText(done).waitFor();
    const after = await call<{ available: number }>('GET', `/v1/members/${ids.somchai}/balance`);
    assert.equal(after.body.available, before.body.available + 50);
    const first = page.locator('table', { hasText: en['dash.member.balance_after']! }).locator('tbody tr').first();
    await first.getByText('Goodwill for a late delivery').waitFor();
    assert.match((await first.textContent()) ?? '', /Adjustment\+50/);
    await screenshots(page, 'dashboard', 'member');
    assert.deepEqual(unexpected(problems), []);
  });

  test('creates a reward', async () => {
    await page.locator('.dash-nav').getByRole('link', { name: en['dash.nav.rewards'], exact: true }).click();
    await settled(page);
    await page.getByRole('button', { name: en['dash.rewards.new'] }).click();
    await settled(page);
    await page.getByLabel(en['dash.rewards.name']!, { exact: true }).fill('50 baht off');
    await page.getByLabel(en['dash.rewards.type']!, { exact: true }).selectOption('discount_amount');
    await page.getByLabel(en['dash.rewards.value_amount']!, { exact: true }).fill('50.00');
    await page.getByLabel(en['dash.rewards.cost_points']!, { exact: true }).fill('200');
    await page.getByLabel(en['dash.rewards.stock']!, { exact: true }).fill('100');
    await page.getByRole('button', { name: en['dash.rewards.create'] }).click();
    await page.getByRole('heading', { level: 1, name: '50 baht off' }).waitFor();
    await settled(page);
    const id = page.url().split('/').pop()!;
    const reward = await call<{ type: string; value: number; cost_points: number; stock: number }>('GET', `/v1/rewards/${id}`);
    assert.deepEqual([reward.body.type, reward.body.value, reward.body.cost_points, reward.body.stock], ['discount_amount', 5000, 200, 100]);
    assert.deepEqual(unexpected(problems), []);
  });

  test('sees a batch of codes made and downloads its codes.csv', async () => {
    await page.locator('.dash-nav').getByRole('link', { name: en['dash.nav.coupon_batches'], exact: true }).click();
    await settled(page);
    const row = page.locator('table tbody tr', { hasText: 'May promo' });
    await row.getByText(msg(en, 'dash.batches.generated', { generated: 20, count: 20 })).waitFor();
    assert.equal(await row.locator('progress').getAttribute('value'), '100');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      row.getByRole('link', { name: msg(en, 'dash.batches.download', { name: 'May promo' }) }).click(),
    ]);
    const { readFileSync } = await import('node:fs');
    const lines = readFileSync((await download.path())!, 'utf8').trimEnd().split('\n');
    assert.equal(lines[0], 'n,code,printed');
    assert.equal(lines.length, 21);
    assert.match(lines[1]!, /^1,MAY26/);
    assert.deepEqual(unexpected(problems), []);
  });

  test('creates a user', async () => {
    await page.locator('.dash-nav').getByRole('link', { name: en['dash.nav.users'], exact: true }).click();
    await settled(page);
    await page.getByLabel(en['dash.users.email']!, { exact: true }).fill('tom@example.com');
    await page.getByLabel(en['dash.users.name']!, { exact: true }).fill('Tom Till');
    await page.getByLabel(en['dash.users.role']!, { exact: true }).selectOption('staff');
    await page.getByLabel(en['dash.users.password']!, { exact: true }).fill('tills are fun 42');
    await page.getByRole('button', { name: en['dash.users.create'] }).click();
    await page.getByText(msg(en, 'dash.users.created', { name: 'Tom Till' })).waitFor();
    await page.locator('table tbody tr', { hasText: 'tom@example.com' }).waitFor();
    const users = await call<{ data: { email: string; role: string }[] }>('GET', '/v1/users');
    assert.ok(users.body.data.some((u) => u.email === 'tom@example.com' && u.role === 'staff'));
    // The new user can sign in (through the API, as the till would).
    const session = await fetch(server.url + '/v1/sessions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'tom@example.com', password: 'tills are fun 42' }),
    });
    assert.equal(session.status, 201);

    // Changed to a viewer; and the last admin cannot demote itself (said at the role).
    await page.getByRole('button', { name: msg(en, 'dash.users.edit', { name: 'Tom Till' }) }).click();
    await page.getByLabel(en['dash.users.role']!, { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: en['dash.users.save'] }).click();
    await page.locator('table tbody tr', { hasText: 'tom@example.com' }).getByText(en['role.viewer']!).waitFor();
    const tom = await call<{ data: { email: string; role: string }[] }>('GET', '/v1/users');
    assert.equal(tom.body.data.find((u) => u.email === 'tom@example.com')?.role, 'viewer');
    await page.getByRole('button', { name: msg(en, 'dash.users.edit', { name: 'Ada Admin' }) }).click();
    const role = page.getByLabel(en['dash.users.role']!, { exact: true });
    await role.selectOption('staff');
    await page.getByRole('button', { name: en['dash.users.save'] }).click();
    await page.getByText(en['dash.users.last_admin']!).waitFor();
    assert.equal(await role.getAttribute('aria-invalid'), 'true');
    await screenshots(page, 'dashboard', 'users-last-admin');
    await page.getByRole('button', { name: en['dash.cancel'] }).click();
    assert.deepEqual(unexpected(problems, [/answer 409: PATCH .*\/v1\/users\//]), []);
  });

  test('creates an API key, sees its secret once, and the key works', async () => {
    await page.locator('.dash-nav').getByRole('link', { name: en['dash.nav.api_keys'], exact: true }).click();
    await settled(page);
    await page.getByLabel(en['dash.keys.name']!, { exact: true }).fill('Shop till 1');
    await page.getByLabel(en['dash.keys.role']!, { exact: true }).selectOption('staff');
    await page.getByRole('button', { name: en['dash.keys.create'] }).click();
    const secret = page.locator('[data-secret]').first();
    await secret.waitFor();
    const key = (await secret.textContent())!.trim();
    assert.match(key, /^ptk_/);
    await page.getByText(en['dash.keys.once']!).waitFor();
    await screenshots(page, 'dashboard', 'api-key-created');
    const members = await call('GET', '/v1/members?limit=1', undefined, key);
    assert.equal(members.status, 200);
    await page.getByRole('button', { name: en['dash.keys.done'] }).click();
    assert.equal(await page.locator('[data-secret]').count(), 0);
    const row = page.locator('table tbody tr', { hasText: 'Shop till 1' });
    await row.waitFor();
    assert.ok(!((await page.locator('main').textContent()) ?? '').includes(key), 'the secret is not shown again');
    // Revoked after a question, it stops working at once.
    await row.getByRole('button', { name: en['dash.keys.revoke'] }).click();
    await row.getByRole('button', { name: en['dash.confirm.yes'] }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await call('GET', '/v1/members?limit=1', undefined, key)).status, 401);
    assert.deepEqual(unexpected(problems), []);
  });

  test("draws the web shop's member signing secret, after a question, and it signs tokens", async () => {
    const shop = 'http://127.0.0.1:8123';
    const pk = await call<{ api_key: string }>('POST', '/v1/api-keys', { name: 'Shop pages', role: 'publishable', allowed_origins: [shop] });
    const member = await call<{ id: string }>('POST', '/v1/members', { email: 'signed@example.com' });
    // A token signed with a secret the page showed: GET /v1/embed/member, as /embed.js asks it.
    const memberRead = async (secret: string) => {
      const expires = Math.floor(Date.now() / 1000) + 3600;
      const signed = `v1.${member.body.id}.${expires}`;
      const mac = createHmac('sha256', Buffer.from(secret, 'hex')).update(signed).digest('hex');
      const r = await fetch(server.url + '/v1/embed/member', {
        headers: { Authorization: `Bearer ${pk.body.api_key}`, Origin: shop, 'X-Patron-Member-Token': `${signed}.${mac}` },
      });
      return r.status;
    };
    const draw = async (): Promise<string> => {
      const card = page.locator('.pt-card', { hasText: en['dash.keys.signing_hint']! });
      await card.getByRole('button', { name: en['dash.keys.signing_draw'] }).click();
      await card.getByRole('button', { name: en['dash.confirm.yes'] }).click();
      const shown = card.locator('[data-secret]');
      await shown.waitFor();
      const secret = (await shown.textContent())!.trim();
      assert.match(secret, /^[0-9a-f]{64}$/);
      return secret;
    };
    const first = await draw();
    await screenshots(page, 'dashboard', 'signing-secret');
    assert.equal(await memberRead(first), 200);
    await page.getByRole('button', { name: en['dash.keys.done'] }).click();
    assert.ok(!((await page.locator('main').textContent()) ?? '').includes(first), 'the secret is not shown again');
    // A new secret ends the tokens of the old one.
    const second = await draw();
    assert.notEqual(second, first);
    assert.equal(await memberRead(first), 401);
    assert.equal(await memberRead(second), 200);
    assert.deepEqual(unexpected(problems), []);
  });
});

// Every screen, with the path it is reached at (filled once the seed made the objects).
function screens(): [string, string][] {
  return [
    ['home', '/'],
    ['members', '/members'],
    ['member', `/members/${ids.somchai}`],
    ['rules', '/rules'],
    ['rule-new', '/rules/new'],
    ['rule', `/rules/${ids.rule ?? ''}`],
    ['rewards', '/rewards'],
    ['reward-new', '/rewards/new'],
    ['reward', `/rewards/${ids.reward}`],
    ['stamp-cards', '/stamp-cards'],
    ['stamp-card-new', '/stamp-cards/new'],
    ['stamp-card', `/stamp-cards/${ids.card}`],
    ['coupon-batches', '/coupon-batches'],
    ['coupon-batch-new', '/coupon-batches/new'],
    ['tiers', '/tiers'],
    ['program', '/program'],
    ['events', '/events'],
    ['api-keys', '/api-keys'],
    ['users', '/users'],
  ];
}

describe('every screen', () => {
  for (const { locale, browserLocale, messages } of [
    { locale: 'en', browserLocale: 'en-US', messages: en },
    { locale: 'th', browserLocale: 'th-TH', messages: th },
  ]) {
    test(`at phone and desktop widths, in ${locale}`, async () => {
      const { context, page, problems } = await openPage(browser, server.url + '/', { locale: browserLocale, viewport: PHONE });
      try {
        await signIn(page, ADMIN, messages);
        await page.locator('.dash-nav').getByRole('link', { name: messages['dash.nav.members'], exact: true }).waitFor();
        for (const [name, path] of screens()) {
          if (name === 'rule' && ids.rule === undefined) {
            continue; // a rule only once the admin's test made it
          }
          await go(page, path, messages);
          assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
          if (name === 'home') {
            await page.locator('.dash-chart canvas, .pt-card p').first().waitFor();
          }
          for (const size of [PHONE, DESKTOP]) {
            await page.setViewportSize(size);
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert.ok(overflow <= 0, `${name} is ${overflow}px wider than the ${size.width}px screen`);
          }
          if (locale === 'th') {
            const fonts = await fontsUsed(page, 'h1, h2, label, .dash-nav a');
            const machine = fonts.filter((f) => !f.custom && f.glyphs > 0);
            assert.deepEqual(machine, [], `${name}: text drawn with a machine font: ${JSON.stringify(fonts)}`);
          }
          assert.deepEqual(await contrastProblems(page), [], `${name}: text under AA contrast`);
          await screenshots(page, 'dashboard', name, locale);
        }
        assert.deepEqual(unexpected(problems), []);
      } finally {
        await context.close();
      }
    });
  }
});

describe('a viewer', () => {
  test('sees every screen it may read, and no write control', async () => {
    const { context, page, problems } = await openPage(browser, server.url + '/', { viewport: DESKTOP });
    try {
      await signIn(page, VIEWER);
      await page.getByText(en['dash.viewer_notice']!).waitFor();
      const nav = page.locator('.dash-nav');
      assert.equal(await nav.getByRole('link', { name: en['dash.nav.api_keys'] }).count(), 0);
      assert.equal(await nav.getByRole('link', { name: en['dash.nav.users'] }).count(), 0);
      // Buttons a viewer may press: reading, paging, searching, signing out.
      const reading = new Set([
        en['common.sign_out'], en['dash.pager.next'], en['dash.pager.previous'], en['dash.members.search'],
        en['dash.members.clear'], en['dash.events.more'], en['dash.home.show_period'],
      ]);
      for (const [name, path] of screens()) {
        if (name === 'api-keys' || name === 'users' || name.endsWith('-new') || (name === 'rule' && ids.rule === undefined)) {
          continue;
        }
        await go(page, path);
        const buttons = (await page.getByRole('button').allTextContents()).map((b) => b.trim()).filter((b) => !reading.has(b));
        assert.deepEqual(buttons, [], `${name} shows write buttons to a viewer`);
        const editable = await page.evaluate(() =>
          [...document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>('main input, main textarea, main select')]
            .filter((el) => !el.closest('.dash-search, .dash-filters'))
            .filter((el) => !(el as HTMLInputElement).readOnly && !el.disabled)
            .map((el) => el.getAttribute('name') ?? el.id),
        );
        assert.deepEqual(editable, [], `${name} has controls a viewer could change`);
        if (name === 'program' || name === 'rule' || name === 'member') {
          await screenshots(page, 'dashboard', `viewer-${name}`);
        }
      }
      // The API's keys and users are not a viewer's: the page says the screen does not exist.
      await go(page, '/users');
      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), en['dash.not_found']);
      assert.deepEqual(unexpected(problems), []);
    } finally {
      await context.close();
    }
  });
});

describe('a staff user', () => {
  test('is sent to the till, and the server refuses the admin routes to that session', async () => {
    const { context, page } = await openPage(browser, server.url + '/', { viewport: PHONE });
    try {
      await signIn(page, STAFF);
      await page.waitForURL(/\/till\/$/);
      await page.goto(server.url + '/program');
      await page.waitForURL(/\/till\/$/);
      const answers = await page.evaluate(async () => {
        const get = await fetch('/v1/program', { credentials: 'same-origin' });
        const session = await (await fetch('/v1/sessions/current', { credentials: 'same-origin' })).json();
        const patch = await fetch('/v1/program', {
          method: 'PATCH',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token },
          body: JSON.stringify({ name: 'Taken over' }),
        });
        const users = await fetch('/v1/users', { credentials: 'same-origin' });
        return { get: get.status, patch: patch.status, users: users.status, error: ((await get.json()) as { error: { code: string } }).error.code };
      });
      assert.deepEqual(answers, { get: 403, patch: 403, users: 403, error: 'forbidden' });
      const program = await call<{ name: string }>('GET', '/v1/program');
      assert.equal(program.body.name, 'Web test');
    } finally {
      await context.close();
    }
  });
});

describe('by keyboard alone', () => {
  test('an admin signs in and adjusts a member\'s points', async () => {
    const { context, page, problems } = await openPage(browser, server.url + '/', { viewport: DESKTOP });
    try {
      await page.getByRole('heading', { level: 1 }).waitFor();
      const tabTo = async (test: () => boolean | string, limit = 80) => {
        for (let i = 0; i < limit; i++) {
          await page.keyboard.press('Tab');
          if (await page.evaluate(test)) {
            return;
          }
        }
        assert.fail('the focus never reached the control');
      };
      await tabTo(() => document.activeElement?.getAttribute('name') === 'email');
      await page.keyboard.type(ADMIN.email);
      await page.keyboard.press('Tab');
      await page.keyboard.type(ADMIN.password);
      await page.keyboard.press('Enter');
      await page.locator('.dash-nav').getByRole('link', { name: en['dash.nav.members'], exact: true }).waitFor();
      // To the members through the navigation, then the member, then the form.
      await tabTo(() => document.activeElement?.textContent === 'Members');
      const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      assert.notEqual(ring, 'none', 'the focused link shows a focus ring');
      await page.keyboard.press('Enter');
      await settled(page);
      await tabTo(() => document.activeElement?.textContent === 'Somchai Jaidee');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { level: 1, name: 'Somchai Jaidee' }).waitFor();
      await settled(page);
      await tabTo(() => document.activeElement?.getAttribute('name') === 'points');
      await page.keyboard.type('-5');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Typed by keyboard');
      await page.keyboard.press('Enter');
      await page.getByText(/^Adjusted by -5 points/).waitFor();
      assert.deepEqual(unexpected(problems), []);
    } finally {
      await context.close();
    }
  });
});
