// SPDX-License-Identifier: MIT
// The browser tests' harness (docs/web.md, "Tests"): a real `patron serve` (the binary of
// PATRON_BIN, default ../build/patron) on a temporary SQLite database made with `patron init`,
// listening on a port of the loopback the kernel picks; Debian's chromium (/usr/bin/chromium)
// driven headless by playwright-core, allowed to reach the loopback only; pages that record
// every console error, uncaught exception and failed request; screenshots at phone and desktop
// widths into web/test-results/screenshots/.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';

export const WEB_DIR = resolve(import.meta.dirname, '..');
export const PATRON_BIN = process.env.PATRON_BIN ?? resolve(WEB_DIR, '../build/patron');
export const CHROMIUM = process.env.PATRON_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(WEB_DIR, 'test-results', 'screenshots');

// The sanitizer build's reports, which fail a test as a crash would (tests/api/conftest.py).
const SANITIZER_MARKERS = ['AddressSanitizer', 'LeakSanitizer', 'runtime error:', 'assertion failed'];

export interface Server {
  url: string; // "http://127.0.0.1:PORT"
  port: number;
  db: string;
  programId: string;
  apiKey: string; // the admin key `patron init` printed
  log: () => string;
  stop: () => Promise<void>;
}

function patron(args: string[]): string {
  return execFileSync(PATRON_BIN, args, { encoding: 'utf8', timeout: 60_000 });
}

// Starts `patron serve` on a fresh database; resolves once it listens.
export async function startServer(extraArgs: string[] = []): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'patron-web-'));
  const db = join(dir, 'patron.db');
  const init = JSON.parse(patron(['init', '--db', db, '--name', 'Web test', '--json'])) as {
    program_id: string;
    api_key: string;
  };
  const proc: ChildProcess = spawn(
    PATRON_BIN,
    ['serve', '--db', db, '--listen', '127.0.0.1:0', ...extraArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error('patron serve did not start:\n' + log)), 60_000);
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      log += chunk;
      const line = log.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line !== undefined) {
        clearTimeout(timer);
        done((JSON.parse(line) as { port: number }).port);
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`patron serve exited (${code}):\n${log}`));
    });
  });
  const exited = new Promise<number | null>((done) => proc.on('exit', (code) => done(code)));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    programId: init.program_id,
    apiKey: init.api_key,
    log: () => log,
    stop: async () => {
      proc.kill('SIGTERM');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      for (const marker of SANITIZER_MARKERS) {
        if (log.includes(marker)) {
          throw new Error(`the server's log holds "${marker}":\n${log.slice(-5000)}`);
        }
      }
      if (code !== 0) {
        throw new Error(`patron serve exited ${code}:\n${log.slice(-5000)}`);
      }
    },
  };
}

// A staff or admin user of the server's program (`patron user create`); returns its password.
export function createUser(
  server: Server,
  user: { email: string; name: string; role: 'admin' | 'staff' | 'viewer'; password: string },
): string {
  patron([
    'user', 'create', '--db', server.db, '--program', server.programId, '--email', user.email,
    '--name', user.name, '--role', user.role, '--password', user.password,
  ]);
  return user.password;
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Nothing but the loopback: a page that fetched a font or a script from elsewhere would
    // fail here as it would on a machine without a network.
    args: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--disable-dev-shm-usage'],
  });
}

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  problems: string[]; // console errors, uncaught exceptions, failed requests and 4xx/5xx answers
}

// A new browser context (its own storage) with the given language, and a page on it.
export async function openPage(
  browser: Browser,
  url: string,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<OpenedPage> {
  const context = await browser.newContext({
    locale: options.locale ?? 'en-US',
    viewport: options.viewport ?? PHONE,
    deviceScaleFactor: 1,
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`exception: ${error.message}`));
  page.on('requestfailed', (req) => {
    const error = req.failure()?.errorText ?? '';
    // A request the page's own navigation cancelled (a reload while a font loads) is no fault.
    if (error !== 'net::ERR_ABORTED') {
      problems.push(`failed: ${req.url()} ${error}`);
    }
  });
  page.on('response', (res) => {
    if (res.status() >= 400) {
      problems.push(`answer ${res.status()}: ${res.request().method()} ${res.url()}`);
    }
  });
  await page.goto(url);
  return { context, page, problems };
}

// Saves web/test-results/screenshots/<face>-<screen>-<phone|desktop>[-<locale>].png (English
// has no suffix) at both widths; the page is left at the phone width.
export async function screenshots(page: Page, face: string, screen: string, locale = 'en'): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const suffix = locale === 'en' ? '' : `-${locale}`;
  for (const [name, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await page.setViewportSize(size);
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: join(SCREENSHOTS, `${face}-${screen}-${name}${suffix}.png`), fullPage: true });
  }
}

// The message catalog of a locale (src/i18n/<locale>.json), to find the text a page shows.
export function catalog(locale: string): Record<string, string> {
  return JSON.parse(readFileSync(join(WEB_DIR, 'src', 'i18n', `${locale}.json`), 'utf8')) as Record<string, string>;
}

export interface FontUse {
  family: string;
  custom: boolean; // a web font of the page (ours), not one of the machine
  glyphs: number;
}

// The fonts Chromium used to draw the text of the elements matching selector (the DevTools
// protocol's CSS.getPlatformFontsForNode): the proof that Thai is drawn with the bundled Noto
// Sans Thai and not with a fallback's empty boxes.
export async function fontsUsed(page: Page, selector: string): Promise<FontUse[]> {
  await page.evaluate(() => document.fonts.ready);
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('CSS.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: -1 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector });
    const byFamily = new Map<string, FontUse>();
    for (const nodeId of nodeIds) {
      const { fonts } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
      for (const font of fonts) {
        const key = `${font.familyName}/${font.isCustomFont}`;
        const use = byFamily.get(key) ?? { family: font.familyName, custom: font.isCustomFont, glyphs: 0 };
        use.glyphs += font.glyphCount;
        byFamily.set(key, use);
      }
    }
    return [...byFamily.values()];
  } finally {
    await cdp.detach();
  }
}

// Text whose contrast with what it is drawn on is under WCAG 2.x AA: 4.5:1, or 3:1 for large
// text (24px, or 18.66px bold). The background is the first opaque one among the element and
// its ancestors (a page without images behind text, as ours). Returns one line per failure.
export async function contrastProblems(page: Page): Promise<string[]> {
  // A string, not a function: tsx's transform names functions with a helper the page lacks.
  return page.evaluate(CONTRAST_SCRIPT) as Promise<string[]>;
}

const CONTRAST_SCRIPT = `(() => {
  const parse = (color) => {
    const m = color.match(/rgba?\\(([^)]+)\\)/);
    if (m === null) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const lin = (v) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; };
  const luminance = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const background = (el) => {
    for (let e = el; e !== null; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg[3] > 0.99) return bg;
    }
    return [255, 255, 255, 1];
  };
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = (node.textContent || '').trim();
    if (el === null || text === '' || el.closest('noscript, option') !== null) continue;
    const rect = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    /* Not shown: a visually hidden label, the skip link off screen. */
    if (rect.width <= 1 || rect.height <= 1 || rect.bottom <= 0 || style.visibility === 'hidden') continue;
    const fg = parse(style.color);
    const bg = background(el);
    const l1 = luminance(fg);
    const l2 = luminance(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push('"' + text.slice(0, 40) + '": ' + ratio.toFixed(2) + ':1 (' + style.color + ' on rgb(' + bg.slice(0, 3).join(', ') + '))');
    }
  }
  return problems;
})()`;
