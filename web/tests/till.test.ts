// SPDX-License-Identifier: MIT
// The till console (/till/) in a real browser against a real server: a staff user signs in,
// finds a member by card number, builds a cart and sees what the API's evaluation answers,
// records the purchase (once, whatever the taps and a lost answer), verifies and redeems a
// coupon and is refused a second redemption on the screen, returns part of the purchase,
// enrolls a member; a viewer is told the till is read-only; a staff session has no admin
// action and the server refuses it the admin routes. Every screen is saved at phone and
// desktop widths, and again in Thai (tillThai below). The camera and the keyboard have their
// own files (till-camera.test.ts, till-keyboard.test.ts).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Server, catalog, contrastProblems, fontsUsed, launchBrowser, openPage, startServer } from './harness';
import { type Program, STAFF, VIEWER, apiCall, cartOf, expected, fill, msg, problemsLeft, seedProgram, signIn, shot } from './till-fixture';

let server: Server;
let browser: Browser;
let program: Program;
let staff: { context: BrowserContext; page: Page; problems: string[] };
const en = catalog('en');

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  program = await seedProgram(server);
  staff = await openPage(browser, server.url + '/till/');
});

after(async () => {
  await staff?.context.close();
  await browser?.close();
  await server?.stop();
});

// The 4xx answers a test expects are taken out; anything else left is a failure.
function noProblems(problems: string[], allowed: RegExp[] = []): void {
  assert.deepEqual(problemsLeft(problems, allowed), []);
}

test('a staff user signs in', async () => {
  const { page, problems } = staff;
  await signIn(page, STAFF);
  await page.getByRole('heading', { level: 1, name: en['till.find_title'] }).waitFor();
  // The navigation: the till's screens, nothing of the dashboard's.
  const links = await page.getByRole('navigation').getByRole('link').allTextContents();
  assert.deepEqual(links, ['till.nav.find', 'till.nav.sale', 'till.nav.coupons', 'till.nav.returns', 'till.nav.enroll'].map((k) => en[k]));
  assert.match((await page.locator('.till-user').textContent()) ?? '', new RegExp(STAFF.name));
  await shot(page, 'find');
  noProblems(problems);
});

test('finds a member by card number', async () => {
  const { page, problems } = staff;
  // Not there: a card number whose check digit is right but no member has.
  await page.getByLabel(en['till.find_label'], { exact: true }).fill('4111111111111111');
  await page.keyboard.press('Enter');
  await page.getByText(msg('till.find_none', { query: '4111111111111111' })).waitFor();
  await shot(page, 'find-none');

  await page.getByLabel(en['till.find_label'], { exact: true }).fill(program.ada.card_number);
  await page.keyboard.press('Enter');
  await page.locator('#till-member-name').waitFor();
  assert.equal(await page.locator('#till-member-name').textContent(), 'Ada Lovelace');
  const balance = await apiCall<{ available: number }>(server, 'GET', `/v1/members/${program.ada.id}/balance`);
  await page.getByTestId('member-points').filter({ hasText: String(balance.available) }).waitFor();
  assert.match((await page.locator('.till-card-number').textContent()) ?? '', /7?\d{3} \d{4} \d{4} \d{4}$/);
  // The stamp card is shown with its progress.
  await page.getByText('Coffee card').first().waitFor();
  await shot(page, 'member');
  noProblems(problems);
});

test('builds a cart and sees the evaluation the API answers', async () => {
  const { page, problems } = staff;
  // One line typed, with an error at its field first.
  await fill(page, { sku: 'COF', name: 'Coffee', category: 'coffee', quantity: 'x', price: '3.50' });
  await page.keyboard.press('Enter');
  await page.getByText(en['till.line_quantity_invalid']).waitFor();
  assert.equal(await page.getByLabel(en['till.line_quantity'], { exact: true }).getAttribute('aria-invalid'), 'true');
  await page.getByLabel(en['till.line_quantity'], { exact: true }).fill('3');
  await page.keyboard.press('Enter');
  // The rest pasted from the till system.
  await page.locator('summary', { hasText: en['till.paste_title'] }).click();
  await page.getByLabel(en['till.paste_label']).fill('not json');
  await page.getByRole('button', { name: en['till.paste_use'] }).click();
  await page.getByText(en['till.paste_not_json']).waitFor();
  const pasted = {
    items: [
      { sku: 'COF', name: 'Coffee', category: 'coffee', quantity: 3, unit_price: 350 },
      { sku: 'CAKE', name: 'Carrot cake', category: 'food', quantity: 2, unit_price: 1200 },
    ],
  };
  await page.getByLabel(en['till.paste_label']).fill(JSON.stringify(pasted));
  await page.getByRole('button', { name: en['till.paste_use'] }).click();
  // The pasted cart replaces the lines: 3 coffees and 2 cakes, 34.50.
  await page.getByTestId('eval-amount').filter({ hasText: '$34.50' }).waitFor();
  // One more coffee with the + button: the nudge is met, the 4th is free.
  await page.getByRole('button', { name: msg('till.line_more', { name: 'Coffee' }) }).click();
  await page.getByTestId('eval-amount').filter({ hasText: '$38.00' }).waitFor();

  const expected = await apiCall<{
    points: number;
    amount: number;
    discount: number;
    to_pay: number;
    nudges: { text: string }[];
    rules: { name: string }[];
  }>(server, 'POST', '/v1/carts/evaluate', {
    member_id: program.ada.id,
    currency: 'USD',
    items: cartOf([
      ['COF', 'Coffee', 'coffee', 4, 350],
      ['CAKE', 'Carrot cake', 'food', 2, 1200],
    ]),
  });
  assert.ok(expected.discount > 0, 'the 4th coffee is free');
  await page.getByTestId('eval-to-pay').filter({ hasText: `$${(expected.to_pay / 100).toFixed(2)}` }).waitFor();
  assert.equal(await page.getByTestId('eval-points').textContent(), String(expected.points));
  assert.equal(await page.getByTestId('eval-discount').textContent(), `−$${(expected.discount / 100).toFixed(2)}`);
  for (const rule of expected.rules) {
    await page.locator('.till-rule').filter({ hasText: rule.name }).waitFor();
  }
  await shot(page, 'sale-cart');
  assert.deepEqual(await contrastProblems(page), []);

  // Back to 3 coffees: the API's nudge ("1 more for a free one") is on the screen.
  await page.getByRole('button', { name: msg('till.line_less', { name: 'Coffee' }) }).click();
  const nudged = await apiCall<{ nudges: { text: string }[]; points: number }>(server, 'POST', '/v1/carts/evaluate', {
    member_id: program.ada.id,
    currency: 'USD',
    items: cartOf([
      ['COF', 'Coffee', 'coffee', 3, 350],
      ['CAKE', 'Carrot cake', 'food', 2, 1200],
    ]),
  });
  assert.ok(nudged.nudges.length > 0);
  for (const nudge of nudged.nudges) {
    await page.locator('.till-nudge').filter({ hasText: nudge.text }).waitFor();
  }
  await page.getByTestId('eval-points').filter({ hasText: String(nudged.points) }).waitFor();
  await shot(page, 'sale-nudge');
  // And the 4th coffee again, for the purchase.
  await page.getByRole('button', { name: msg('till.line_more', { name: 'Coffee' }) }).click();
  await page.getByTestId('eval-amount').filter({ hasText: '$38.00' }).waitFor();
  noProblems(problems);
});

test('records the purchase once, whatever the taps, and sees the points', async () => {
  const { page, problems } = staff;
  const before = await apiCall<{ available: number }>(server, 'GET', `/v1/members/${program.ada.id}/balance`);
  const points = Number(await page.getByTestId('eval-points').textContent());
  await page.getByTestId('eval-to-pay').filter({ hasText: '$34.50' }).waitFor();
  // The first answer is lost on its way back (the server recorded the purchase), then the
  // cashier taps twice: the same Idempotency-Key is sent again, and the server records once.
  const keys: string[] = [];
  let lose = true;
  await page.route('**/v1/transactions', async (route) => {
    keys.push(route.request().headers()['idempotency-key'] ?? '');
    const response = await route.fetch();
    if (lose) {
      lose = false;
      await route.abort('connectionreset');
      return;
    }
    await route.fulfill({ response });
  });
  const record = page.getByRole('button', { name: en['till.record'] });
  await record.click();
  await page.getByText(en['common.network_error']).waitFor();
  await shot(page, 'sale-network-error');
  await record.dblclick();
  await page.getByRole('heading', { name: en['till.result_title'] }).waitFor();
  await page.unroute('**/v1/transactions');
  assert.ok(keys.length >= 2 && keys[0] !== '' && keys.every((k) => k === keys[0]), `keys: ${keys}`);

  const ledger = await apiCall<{ data: { type: string; points: number; reference: string }[] }>(
    server,
    'GET',
    `/v1/members/${program.ada.id}/ledger`,
  );
  const earns = ledger.data.filter((e) => e.type === 'earn');
  assert.equal(earns.length, 1, 'one purchase recorded');
  assert.equal(earns[0]!.points, points);
  program.purchaseId = earns[0]!.reference;
  const after = await apiCall<{ available: number }>(server, 'GET', `/v1/members/${program.ada.id}/balance`);
  assert.equal(after.available, before.available + points);
  assert.equal(await page.getByTestId('result-points').textContent(), String(points));
  assert.equal(await page.getByTestId('result-balance').textContent(), String(after.available));
  // The member panel shows the new balance too.
  await page.getByTestId('member-points').filter({ hasText: String(after.available) }).waitFor();
  await shot(page, 'sale-result');
  assert.deepEqual(await contrastProblems(page), []);
  noProblems(problems, expected('network', 'POST', /\/v1\/transactions$/));
});

test('a return of part of the purchase takes its points back', async () => {
  const { page, problems } = staff;
  await page.getByRole('button', { name: en['till.result_return'] }).click();
  await page.getByRole('heading', { level: 1, name: en['till.returns_title'] }).waitFor();
  const cake = 'Carrot cake';
  await page.getByRole('button', { name: msg('till.line_more', { name: cake }) }).waitFor();
  await shot(page, 'return');
  // Nothing chosen: said so.
  await page.getByRole('button', { name: en['till.return_submit'] }).click();
  await page.getByText(en['till.return_nothing']).waitFor();
  await page.getByRole('button', { name: msg('till.line_more', { name: cake }) }).click();
  await page.getByRole('button', { name: en['till.return_submit'] }).click();
  await page.getByRole('heading', { name: en['till.return_done'] }).waitFor();
  const balance = await apiCall<{ available: number }>(server, 'GET', `/v1/members/${program.ada.id}/balance`);
  const ledger = await apiCall<{ data: { type: string; points: number }[] }>(server, 'GET', `/v1/members/${program.ada.id}/ledger`);
  const returned = ledger.data.filter((e) => e.type === 'return');
  assert.equal(returned.length, 1);
  assert.equal(await page.getByTestId('return-points').textContent(), String(-returned[0]!.points));
  assert.equal(await page.getByTestId('return-balance').textContent(), String(balance.available));
  assert.equal(await page.getByTestId('return-amount').textContent(), '$12.00');
  await shot(page, 'return-done');
  noProblems(problems);
});

test('a sale with a coupon in the cart, paid partly with points', async () => {
  const { page, problems } = staff;
  await apiCall(server, 'PATCH', '/v1/program', { points_payment: { enabled: true } });
  await page.getByRole('link', { name: en['till.nav.sale'] }).click();
  await fill(page, { sku: 'ESP', name: 'Espresso', category: 'espresso', quantity: '1', price: '2.50' });
  await page.keyboard.press('Enter');
  await fill(page, { sku: 'CAKE', name: 'Carrot cake', category: 'food', quantity: '1', price: '12.00' });
  await page.keyboard.press('Enter');
  await page.getByLabel(en['till.cart_coupon_label']).fill(program.coupons[3]!);
  await page.getByRole('button', { name: en['till.cart_coupon_add'] }).click();
  // The coupon gives the espresso: applied, 2.50 off.
  await page.locator('.till-chip').filter({ hasText: en['till.cart_coupon_applied'] }).waitFor();
  await page.getByTestId('eval-discount').filter({ hasText: '−$2.50' }).waitFor();
  await page.getByLabel(en['till.pay_points']).fill('100');
  await page.getByText(msg('till.eval_paid_points', { points: 100 })).waitFor();
  const body = {
    member_id: program.ada.id,
    currency: 'USD',
    items: cartOf([
      ['ESP', 'Espresso', 'espresso', 1, 250],
      ['CAKE', 'Carrot cake', 'food', 1, 1200],
    ]),
    coupons: [program.coupons[3]],
    payments: [{ method: 'points', points: 100 }],
  };
  const expect = await apiCall<{ points: number; to_pay: number; balance_due: number }>(server, 'POST', '/v1/carts/evaluate', body);
  assert.equal(expect.balance_due, expect.to_pay - 100);
  await page.getByTestId('eval-points').filter({ hasText: String(expect.points) }).waitFor();
  await shot(page, 'sale-coupon-points');
  await page.getByRole('button', { name: en['till.record'] }).click();
  await page.getByRole('heading', { name: en['till.result_title'] }).waitFor();
  const coupon = await apiCall<{ status: string }>(server, 'GET', `/v1/coupons/${program.coupons[3]}`);
  assert.equal(coupon.status, 'redeemed');
  const ledger = await apiCall<{ data: { type: string; points: number }[] }>(server, 'GET', `/v1/members/${program.ada.id}/ledger`);
  assert.equal(ledger.data.find((e) => e.type === 'points_payment')?.points, -100);
  assert.equal(await page.getByTestId('result-points').textContent(), String(expect.points));
  noProblems(problems);
});

test('verifies and redeems a coupon; a second redemption is refused on the screen', async () => {
  const { page, problems } = staff;
  await page.getByRole('link', { name: en['till.nav.coupons'] }).click();
  await page.getByRole('heading', { level: 1, name: en['till.coupons_title'] }).waitFor();
  // A typo is caught by the code's check symbol at the server: said at once.
  const typo = program.coupons[0]!.slice(0, -1) + (program.coupons[0]!.endsWith('0') ? '1' : '0');
  await page.getByLabel(en['till.coupon_label']).fill(typo);
  await page.keyboard.press('Enter');
  await page.getByText(en['till.reason.invalid_code']).waitFor();

  await page.getByLabel(en['till.coupon_label']).fill(program.coupons[0]!.toLowerCase());
  await page.keyboard.press('Enter');
  const status = page.getByTestId('coupon-status');
  await status.filter({ hasText: en['till.coupon_status.active'] }).waitFor();
  const card = page.locator('.till-coupon');
  await card.getByText('Free espresso').waitFor();
  await card.locator('dd').filter({ hasText: 'Ada Lovelace' }).waitFor();
  const coupon = await apiCall<{ expires_at: string }>(server, 'GET', `/v1/coupons/${program.coupons[0]}`);
  const until = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(new Date(coupon.expires_at));
  await card.getByText(until).waitFor();
  await shot(page, 'coupon-verified');

  await page.getByRole('button', { name: en['till.coupon_redeem'], exact: true }).click();
  await page.getByText(en['till.coupon_redeemed']).waitFor();
  // Just redeemed here: a success (green, "redeemed just now"), not a red "already used".
  await status.filter({ hasText: en['till.coupon_status.done'] }).waitFor();
  assert.equal(await card.evaluate((el) => el.classList.contains('till-coupon-valid')), true);
  const redeemed = await apiCall<{ status: string }>(server, 'GET', `/v1/coupons/${program.coupons[0]}`);
  assert.equal(redeemed.status, 'redeemed');
  await shot(page, 'coupon-redeemed');

  // The member shows the same code again: the till says it is used, and a redemption is
  // refused with the server's reason.
  await page.getByLabel(en['till.coupon_label']).fill(program.coupons[0]!);
  await page.keyboard.press('Enter');
  await status.filter({ hasText: en['till.coupon_status.redeemed'] }).waitFor();
  await page.getByRole('button', { name: en['till.coupon_redeem'], exact: true }).click();
  const alert = page.getByRole('alert').filter({ hasText: en['till.coupon_refused'] });
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? '', new RegExp(en['till.reason.already_redeemed']!.replace('.', '\\.')));
  assert.match((await alert.textContent()) ?? '', /already redeemed at \d{4}-\d\d-\d\dT/);
  await shot(page, 'coupon-refused');
  assert.deepEqual(await contrastProblems(page), []);
  noProblems(problems, [...expected(400, 'GET', /\/v1\/coupons\//), ...expected(409, 'POST', /\/v1\/coupons\/.*\/redeem/)]);
});

test('enrolls a member on the spot and shows the new card number', async () => {
  const { page, problems } = staff;
  await page.getByRole('link', { name: en['till.nav.enroll'] }).click();
  await page.getByRole('heading', { level: 1, name: en['till.enroll_title'] }).waitFor();
  await page.getByRole('button', { name: en['till.enroll_submit'] }).click();
  await page.getByText(en['till.enroll_contact_required']).waitFor();
  await page.getByLabel(en['till.enroll_phone']).fill('0812345678');
  await page.getByRole('button', { name: en['till.enroll_submit'] }).click();
  await page.getByText(en['till.enroll_phone_invalid']).waitFor();
  await shot(page, 'enroll');
  await page.getByLabel(en['till.enroll_first_name']).fill('Grace');
  await page.getByLabel(en['till.enroll_last_name']).fill('Hopper');
  await page.getByLabel(en['till.enroll_email']).fill('grace@example.com');
  await page.getByLabel(en['till.enroll_phone']).fill('+66 81 555 0101');
  await page.getByRole('button', { name: en['till.enroll_submit'] }).click();
  const shown = page.getByTestId('new-card-number');
  await shown.waitFor();
  const found = await apiCall<{ data: { card_number: string; phone: string }[] }>(
    server,
    'GET',
    '/v1/members?email=grace%40example.com',
  );
  assert.equal(found.data.length, 1);
  assert.equal(found.data[0]!.phone, '+66815550101');
  assert.equal((await shown.textContent())?.replace(/\s/g, ''), found.data[0]!.card_number);
  // Its QR code is the API's picture.
  assert.ok(await page.locator('img.till-qr').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0));
  await shot(page, 'enrolled');
  // The same email again is refused at its field.
  await page.getByRole('button', { name: en['till.enroll_another'] }).click();
  await page.getByLabel(en['till.enroll_email']).fill('grace@example.com');
  await page.getByRole('button', { name: en['till.enroll_submit'] }).click();
  await page.getByText(en['till.enroll_conflict']).waitFor();
  // And a sale can begin for the new member.
  await page.getByLabel(en['till.enroll_email']).fill('');
  await page.getByRole('link', { name: en['till.nav.find'] }).click();
  await page.getByLabel(en['till.find_label'], { exact: true }).fill(found.data[0]!.card_number);
  await page.keyboard.press('Enter');
  await page.locator('#till-member-name').filter({ hasText: 'Grace Hopper' }).waitFor();
  noProblems(problems, expected(409, 'POST', /\/v1\/members$/));
});

test('a staff session has no admin action, and the server refuses it the admin routes', async () => {
  const { page, problems } = staff;
  // Every link of the till stays in the till.
  const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).pathname));
  assert.ok(hrefs.every((h) => h.startsWith('/till/')), `links: ${hrefs}`);
  const text = (await page.locator('body').textContent()) ?? '';
  for (const admin of ['API key', 'Users', 'Program settings', 'Rules']) {
    assert.ok(!text.includes(admin), `the till shows "${admin}"`);
  }
  // The server's answer to the admin routes, with the session's cookie and CSRF token.
  // A string, not a function: tsx names the functions of a test with a helper the page lacks.
  const answers = (await page.evaluate(`(async () => {
    const session = await (await fetch('/v1/sessions/current')).json();
    const post = async (path, body) => (await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf_token },
      body: JSON.stringify(body),
    })).status;
    return {
      keys: (await fetch('/v1/api-keys')).status,
      users: (await fetch('/v1/users')).status,
      program: (await fetch('/v1/program')).status,
      rule: await post('/v1/rules', { name: 'x', trigger: 'purchase', effects: [{ type: 'award_points', points: 1 }] }),
      user: await post('/v1/users', { email: 'x@example.com', name: 'X', role: 'admin', password: 'a-long-password' }),
    };
  })()`)) as Record<string, number>;
  assert.deepEqual(answers, { keys: 403, users: 403, program: 403, rule: 403, user: 403 });
  noProblems(problems, expected(403, '\\w+', /\/v1\//));
});

test('a viewer may sign in, and is told the till is read-only', async () => {
  const { context, page, problems } = await openPage(browser, server.url + '/till/');
  try {
    await signIn(page, VIEWER);
    await page.getByText(en['till.viewer_read_only']).waitFor();
    const links = await page.getByRole('navigation').getByRole('link').allTextContents();
    assert.deepEqual(links, [en['till.nav.find'], en['till.nav.sale'], en['till.nav.coupons']]);
    await page.getByLabel(en['till.find_label'], { exact: true }).fill(program.ada.card_number);
    await page.keyboard.press('Enter');
    await page.locator('#till-member-name').waitFor();
    // The member and the coupons can be looked at; nothing can be recorded.
    assert.equal(await page.getByRole('button', { name: en['till.record'] }).count(), 0);
    assert.equal(await page.getByText(en['till.cart_title'], { exact: true }).count(), 0);
    await shot(page, 'viewer');
    assert.deepEqual(await contrastProblems(page), []);
    await page.getByRole('link', { name: en['till.nav.coupons'] }).click();
    await page.getByLabel(en['till.coupon_label']).fill(program.coupons[1]!);
    await page.keyboard.press('Enter');
    await page.getByTestId('coupon-status').filter({ hasText: en['till.coupon_status.active'] }).waitFor();
    assert.equal(await page.getByRole('button', { name: en['till.coupon_redeem'], exact: true }).count(), 0);
    // Typed by hand, the enrolment screen says no.
    await page.goto(server.url + '/till/enroll');
    await page.getByText(en['till.viewer_refused']).waitFor();
    noProblems(problems);
  } finally {
    await context.close();
  }
});

test('every screen in Thai, drawn with the bundled fonts', async () => {
  const th = catalog('th');
  const { context, page, problems } = await openPage(browser, server.url + '/till/', { locale: 'th-TH' });
  try {
    await signIn(page, STAFF, 'th');
    await page.getByRole('heading', { level: 1, name: th['till.find_title'] }).waitFor();
    await shot(page, 'find', 'th');
    await page.getByLabel(th['till.find_label'], { exact: true }).fill(program.ada.card_number);
    await page.keyboard.press('Enter');
    await page.locator('#till-member-name').waitFor();
    await page.locator('summary', { hasText: th['till.paste_title'] }).click();
    await page.getByLabel(th['till.paste_label']).fill(
      JSON.stringify(cartOf([
        ['COF', 'กาแฟลาเต้', 'coffee', 3, 350],
        ['CAKE', 'เค้กแครอท', 'food', 1, 1200],
      ])),
    );
    await page.getByRole('button', { name: th['till.paste_use'] }).click();
    await page.locator('.till-nudge').waitFor();
    // Money and numbers in Thai: the dollar amount as Intl writes it for th.
    const amount = new Intl.NumberFormat('th', { style: 'currency', currency: 'USD' }).format(22.5);
    await page.getByTestId('eval-amount').filter({ hasText: amount }).waitFor();
    await shot(page, 'sale-cart', 'th');
    const fonts = await fontsUsed(page, 'h1, h2, h3, label, button, dt, dd, p, a, span, li');
    const machine = fonts.filter((f) => !f.custom && f.glyphs > 0);
    assert.deepEqual(machine, [], `text drawn with a machine font: ${JSON.stringify(fonts)}`);
    assert.ok(fonts.some((f) => f.family === 'Noto Sans Thai' && f.glyphs > 0));

    await page.getByRole('button', { name: th['till.record'] }).click();
    await page.getByRole('heading', { name: th['till.result_title'] }).waitFor();
    await shot(page, 'sale-result', 'th');
    await page.getByRole('button', { name: th['till.result_return'] }).click();
    await page.getByRole('button', { name: th['till.return_all'] }).click();
    await shot(page, 'return', 'th');
    await page.getByRole('button', { name: th['till.return_submit'] }).click();
    await page.getByRole('heading', { name: th['till.return_done'] }).waitFor();
    await shot(page, 'return-done', 'th');

    await page.getByRole('link', { name: th['till.nav.coupons'] }).click();
    await page.getByLabel(th['till.coupon_label']).fill(program.coupons[2]!);
    await page.keyboard.press('Enter');
    await page.getByTestId('coupon-status').filter({ hasText: th['till.coupon_status.active'] }).waitFor();
    await shot(page, 'coupon-verified', 'th');
    await page.getByRole('button', { name: th['till.coupon_redeem'], exact: true }).click();
    await page.getByText(th['till.coupon_redeemed']).waitFor();
    await page.getByLabel(th['till.coupon_label']).fill(program.coupons[2]!);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: th['till.coupon_redeem'], exact: true }).click();
    await page.getByRole('alert').filter({ hasText: th['till.reason.already_redeemed'] }).waitFor();
    await shot(page, 'coupon-refused', 'th');

    await page.getByRole('link', { name: th['till.nav.enroll'] }).click();
    await page.getByLabel(th['till.enroll_first_name']).fill('สมชาย');
    await page.getByLabel(th['till.enroll_last_name']).fill('ใจดี');
    await shot(page, 'enroll', 'th');
    await page.getByLabel(th['till.enroll_phone']).fill('+66 89 123 4567');
    await page.getByRole('button', { name: th['till.enroll_submit'] }).click();
    await page.getByTestId('new-card-number').waitFor();
    await shot(page, 'enrolled', 'th');
    noProblems(problems, [
      ...expected(409, 'POST', /\/v1\/coupons\/.*\/redeem/),
    ]);
  } finally {
    await context.close();
  }
});
