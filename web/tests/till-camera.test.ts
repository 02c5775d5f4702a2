// SPDX-License-Identifier: MIT
// Scanning with the camera: Chromium is given a fake camera that films the API's own pictures
// (the member card's QR code, GET /v1/members/{id}/card/qr.svg, and a coupon's, GET
// /v1/coupons/{code}/qr.png), written as a Y4M video by the test; the till reads them off the
// video and finds the member, and verifies the coupon. The decoder alone reads the same
// pictures too. Without a camera the dialog says so and typing still works.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium } from 'playwright-core';
import { decodeImage } from '../src/till/decode';
import { CHROMIUM, type Server, catalog, launchBrowser, openPage, startServer } from './harness';
import { type Program, STAFF, problemsLeft, seedProgram, signIn, shot } from './till-fixture';

const W = 640;
const H = 480;
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

async function picture(path: string): Promise<{ type: string; bytes: Buffer }> {
  const response = await fetch(server.url + path, { headers: { Authorization: `Bearer ${server.apiKey}` } });
  assert.equal(response.status, 200, path);
  return { type: response.headers.get('content-type')!.split(';')[0]!, bytes: Buffer.from(await response.arrayBuffer()) };
}

// The picture in the middle of a white 640×480 frame, as grey levels (Chromium draws it; the
// pixels come back as base64, 300 KB, not as a list of numbers).
async function frame(pic: { type: string; bytes: Buffer }): Promise<Buffer> {
  const page = await browser.newPage();
  try {
    const grey = await page.evaluate(
      async ({ src, W, H }) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = W;
        canvas.height = H;
        const g = canvas.getContext('2d')!;
        g.fillStyle = '#fff';
        g.fillRect(0, 0, W, H);
        g.imageSmoothingEnabled = false;
        const side = 320;
        g.drawImage(img, (W - side) / 2, (H - side) / 2, side, side);
        const rgba = g.getImageData(0, 0, W, H).data;
        let text = '';
        for (let i = 0; i < W * H; i++) {
          text += String.fromCharCode(Math.round(0.299 * rgba[4 * i]! + 0.587 * rgba[4 * i + 1]! + 0.114 * rgba[4 * i + 2]!));
        }
        return btoa(text);
      },
      { src: `data:${pic.type};base64,${pic.bytes.toString('base64')}`, W, H },
    );
    return Buffer.from(grey, 'base64');
  } finally {
    await page.close();
  }
}

// Grey levels as the RGBA ImageData the decoder reads off a canvas.
function imageData(grey: Buffer): ImageData {
  const data = new Uint8ClampedArray(W * H * 4);
  for (let i = 0; i < W * H; i++) {
    data.fill(grey[i]!, 4 * i, 4 * i + 3);
    data[4 * i + 3] = 255;
  }
  return { data, width: W, height: H, colorSpace: 'srgb' } as ImageData;
}

// A YUV4MPEG2 video (4:2:0) of a few identical frames: the grey levels as its luma, with
// neutral colour planes. Chromium's fake camera plays it in a loop.
function y4m(grey: Buffer, path: string): void {
  const chroma = Buffer.alloc((W / 2) * (H / 2), 128);
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let f = 0; f < 10; f++) {
    parts.push(Buffer.from('FRAME\n'), grey, chroma, chroma);
  }
  writeFileSync(path, Buffer.concat(parts));
}

// A Chromium whose camera films video (or Chromium's own test pattern without one), with the
// harness's loopback-only resolver.
async function cameraBrowser(video?: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      '--disable-dev-shm-usage',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      ...(video !== undefined ? [`--use-file-for-fake-video-capture=${video}`] : []),
    ],
  });
}

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
      // The dialog hands the focus back after it is gone (found flaky under load when read at once).
      await page.waitForFunction((name) => document.activeElement?.textContent === name, messages['till.scan'], { timeout: 5000 });
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
