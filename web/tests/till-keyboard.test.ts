// SPDX-License-Identifier: MIT
// The whole till by keyboard alone, as at a counter with a hardware keyboard and a USB
// barcode scanner (a keyboard that types the code, then Enter): sign in, find the member by
// card number, build the cart, record the purchase, a coupon "scanned" with no field focused,
// redeemed, a return, an enrolment. No click, no fill: Tab, typing, Enter, Space and Escape;
// the focus is visible wherever it lands.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type Server, catalog, launchBrowser, openPage, startServer } from './harness';
import { type Program, STAFF, apiCall, msg, problemsLeft, seedProgram, shot } from './till-fixture';

const en = catalog('en');
let server: Server;
let browser: Browser;
let program: Program;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  program = await seedProgram(server, 1);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// The focused element's name as a person hears it: an input's label, else aria-label, else
// its text.
async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (el === null) {
      return '';
    }
    const labelled = (el as HTMLInputElement).labels?.[0]?.textContent;
    return (labelled ?? el.getAttribute('aria-label') ?? el.textContent ?? '').trim();
  });
}

// Presses Tab until the focus is on the control named name (at most 60 times).
async function tabTo(page: Page, name: string | RegExp): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (typeof name === 'string' ? now === name : name.test(now)) {
      // Whatever has the focus shows it (the shared 3 px ring, or the browser's own).
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      assert.notEqual(outline, 'none', `no visible focus on "${name}"`);
      return;
    }
    seen.push(now);
  }
  throw new Error(`"${name}" is not reachable with Tab; went through: ${seen.join(' | ')}`);
}

test('the whole till by keyboard, with a USB scanner', async () => {
  const { context, page, problems } = await openPage(browser, server.url + '/till/');
  try {
    // Sign in.
    await tabTo(page, en['signin.email']!);
    await page.keyboard.type(STAFF.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(STAFF.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: en['till.find_title'] }).waitFor();

    // The search field has the focus: the scanner types the card number and Enter.
    assert.equal(await focused(page), en['till.find_label']);
    await page.keyboard.type(program.ada.card_number, { delay: 5 });
    await page.keyboard.press('Enter');
    await page.locator('#till-member-name').filter({ hasText: 'Ada Lovelace' }).waitFor();

    // Two lines, typed field after field; Enter adds each and brings the focus back to SKU.
    await tabTo(page, en['till.line_sku']!);
    for (const [sku, name, category, quantity, price] of [
      ['COF', 'Coffee', 'coffee', '3', '3.50'],
      ['CAKE', 'Cake', 'food', '1', '12.00'],
    ]) {
      assert.equal(await focused(page), en['till.line_sku']);
      for (const value of [sku, name, category, quantity]) {
        await page.keyboard.type(value!);
        await page.keyboard.press('Tab');
      }
      await page.keyboard.type(price!);
      await page.keyboard.press('Enter');
    }
    await page.getByTestId('eval-amount').filter({ hasText: '$22.50' }).waitFor();
    // One more coffee with the stepper's button (Space presses it).
    await tabTo(page, msg('till.line_more', { name: 'Coffee' }));
    await page.keyboard.press('Space');
    await page.getByTestId('eval-amount').filter({ hasText: '$26.00' }).waitFor();
    await shot(page, 'keyboard-cart');

    await tabTo(page, en['till.record']!);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: en['till.result_title'] }).waitFor();
    const points = Number(await page.getByTestId('result-points').textContent());
    const balance = await apiCall<{ available: number }>(server, 'GET', `/v1/members/${program.ada.id}/balance`);
    assert.equal(await page.getByTestId('result-balance').textContent(), String(balance.available));
    assert.ok(points > 0);

    // The USB scanner reads the member's coupon with no field focused: the till opens the
    // coupon and verifies it.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'till-result-title');
    await page.keyboard.type(program.coupons[0]! + '\n');
    await page.getByRole('heading', { level: 1, name: en['till.coupons_title'] }).waitFor();
    await page.getByTestId('coupon-status').filter({ hasText: en['till.coupon_status.active'] }).waitFor();
    await tabTo(page, en['till.coupon_redeem']!);
    await page.keyboard.press('Enter');
    await page.getByText(en['till.coupon_redeemed']).waitFor();

    // A return of the purchase just recorded: one coffee.
    await tabTo(page, en['till.nav.returns']!);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: en['till.returns_title'] }).waitFor();
    // The purchase just recorded is one button away.
    await tabTo(page, new RegExp('^' + msg('till.return_last', { amount: '\\$26\\.00', time: '.+' }).replace(/[()]/g, '\\$&') + '$'));
    await page.keyboard.press('Enter');
    await tabTo(page, msg('till.line_more', { name: 'Coffee' }));
    await page.keyboard.press('Space');
    await tabTo(page, en['till.return_submit']!);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: en['till.return_done'] }).waitFor();

    // An enrolment: the first field has the focus.
    await tabTo(page, en['till.nav.enroll']!);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: en['till.enroll_title'] }).waitFor();
    assert.equal(await focused(page), en['till.enroll_first_name']);
    await page.keyboard.type('Alan');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Turing');
    await page.keyboard.press('Tab');
    await page.keyboard.type('alan@example.com');
    await page.keyboard.press('Enter');
    await page.getByTestId('new-card-number').waitFor();
    // From the new card straight to a sale for the new member.
    await tabTo(page, en['till.enroll_start_sale']!);
    await shot(page, 'keyboard-focus');
    await page.keyboard.press('Enter');
    await page.locator('#till-member-name').filter({ hasText: 'Alan Turing' }).waitFor();
    assert.deepEqual(problemsLeft(problems), []);
  } finally {
    await context.close();
  }
});
