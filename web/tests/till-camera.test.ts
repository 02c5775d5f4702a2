// SPDX-License-Identifier: MIT
// Scanning with the camera: Chromium is given a fake camera that films the API's own pictures
// (the member card's QR code, GET /v1/members/{id}/card/qr.svg, and a coupon's, GET
// /v1/coupons/{code}/qr.png), written as a Y4M video by the test; the till reads them off the
// video and finds the member, and verifies the coupon. The decoder alone reads the same
// pictures too. Without a camera the dialog says so and typing still works.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { decodeImage } from '../src/till/decode';
import { cameraBrowser, frame as drawFrame, imageData, type Picture, y4m } from './camera';
import { type Server, catalog, launchBrowser, openPage, startServer } from './harness';
import { type Program, STAFF, problemsLeft, seedProgram, signIn, shot } from './till-fixture';

const en = catalog('en');

let server: Server;
let browser: Browser;
let program: Program;
let dir: string;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  program = await seedProgram(server, 2);
  dir = mkdtempSync(join(tmpdir(), 'patron-till-camera-'));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function picture(path: string): Promise<Picture> {
  const response = await fetch(server.url + path, { headers: { Authorization: `Bearer ${server.apiKey}` } });
  assert.equal(response.status, 200, path);
  return { type: response.headers.get('content-type')!.split(';')[0]!, bytes: Buffer.from(await response.arrayBuffer()) };
}

const frame = (pic: Picture) => drawFrame(browser, pic);

test('the decoder reads the API pictures of a card and a coupon', async () => {
  const card = await frame(await picture(`/v1/members/${program.ada.id}/card/qr.svg`));
  assert.equal(decodeImage(imageData(card)), program.ada.card_number);
  const coupon = await frame(await picture(`/v1/coupons/${program.coupons[0]}/qr.png`));
  const text = decodeImage(imageData(coupon));
  assert.equal(text?.replace(/-/g, ''), program.coupons[0]!.replace(/-/g, ''));
});

test('the camera scans the member card and the member is found', async () => {
  const video = join(dir, 'card.y4m');
  y4m(await frame(await picture(`/v1/members/${program.ada.id}/card/qr.svg`)), video);
  const camera = await cameraBrowser(video);
  try {
    const { context, page, problems } = await openPage(camera, server.url + '/till/');
    await context.grantPermissions(['camera'], { origin: server.url });
    await signIn(page, STAFF);
    await page.getByRole('button', { name: en['till.scan'] }).click();
    await page.locator('#till-member-name').filter({ hasText: 'Ada Lovelace' }).waitFor({ timeout: 40_000 });
    // The dialog closed, and the camera with it.
    assert.equal(await page.locator('dialog[open]').count(), 0);
    assert.deepEqual(problemsLeft(problems), []);
  } finally {
    await camera.close();
  }
});

test("the camera scans a coupon on the member's phone and it is verified", async () => {
  const video = join(dir, 'coupon.y4m');
  y4m(await frame(await picture(`/v1/coupons/${program.coupons[1]}/qr.png`)), video);
  const camera = await cameraBrowser(video);
  try {
    const { context, page, problems } = await openPage(camera, server.url + '/till/');
    await context.grantPermissions(['camera'], { origin: server.url });
    await signIn(page, STAFF);
    await page.getByRole('link', { name: en['till.nav.coupons'] }).click();
    await page.getByRole('button', { name: en['till.scan'] }).click();
    await page.getByTestId('coupon-status').filter({ hasText: en['till.coupon_status.active'] }).waitFor({ timeout: 40_000 });
    assert.equal(await page.getByLabel(en['till.coupon_label']).inputValue(), program.coupons[1]);
    assert.deepEqual(problemsLeft(problems), []);
  } finally {
    await camera.close();
  }
});

test('the scanning dialog, and what it says without a camera', async () => {
  // Chromium's test pattern: no code in it, the dialog stays open, scanning.
  const camera = await cameraBrowser();
  try {
    const { context, page, problems } = await openPage(camera, server.url + '/till/');
    await context.grantPermissions(['camera'], { origin: server.url });
    await signIn(page, STAFF);
    for (const locale of ['en', 'th'] as const) {
      const messages = catalog(locale);
      if (locale === 'th') {
        await page.getByLabel(en['common.language'], { exact: true }).selectOption('th');
      }
      const scan = page.getByRole('button', { name: messages['till.scan'] });
      await scan.click();
      const dialog = page.getByRole('dialog', { name: messages['till.scan_member_title'] });
      await dialog.getByText(messages['till.scan_hint']).waitFor();
      await shot(page, 'scan', locale);
      // Escape closes it, and the focus is back on the button.
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      // (Preact's effect that moves it runs just after the dialog is gone: waited for, briefly.)
      await page.waitForFunction((text) => document.activeElement?.textContent === text, messages['till.scan'], { timeout: 5000 });
    }
    assert.deepEqual(problemsLeft(problems), []);
    await context.close();
  } finally {
    await camera.close();
  }
  // The harness's Chromium has no camera at all.
  const { context, page, problems } = await openPage(browser, server.url + '/till/');
  try {
    await signIn(page, STAFF);
    await page.getByRole('button', { name: en['till.scan'] }).click();
    await page.getByText(en['till.scan_no_camera']).waitFor();
    await shot(page, 'scan-no-camera');
    await page.getByRole('button', { name: en['till.scan_cancel'] }).click();
    // Typing works instead.
    await page.getByLabel(en['till.find_label'], { exact: true }).fill(program.ada.card_number);
    await page.keyboard.press('Enter');
    await page.locator('#till-member-name').waitFor();
    assert.deepEqual(problemsLeft(problems), []);
  } finally {
    await context.close();
  }
});
