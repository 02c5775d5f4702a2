// SPDX-License-Identifier: MIT
// `make bench`: how soon each face's first screen is drawn on loopback (issue 19: "first render
// under 1 s"), measured in Chromium, never asserted (docs/testing.md: speed is a benchmark's).
//
// For each face, signed out (its sign-in screen) and signed in (its first screen, with the API
// reads it makes), LOADS cold loads, each in a new browser context (empty cache, no service
// worker): first contentful paint, and the moment the screen's heading (h1) is in the page, both
// from the navigation's start (the page's own clock, performance.now()). Beside them, the same
// server's /healthz fetched by the page: the loopback's floor in this run.
//
// Run: cd web && PATRON_BIN=../build/patron node --import tsx tests/first-render.bench.ts
import type { Browser } from 'playwright-core';
import { DESKTOP, PHONE, createUser, launchBrowser, startServer } from './harness';

const LOADS = Number(process.env.PATRON_BENCH_LOADS ?? 10);
const PASSWORD = 'bench password 1';

interface Load {
  paint: number;
  heading: number;
}

// Records when the first h1 appears, from the page's first script on (before the app's).
const HEADING_WATCH = `
  window.__h1 = undefined;
  new MutationObserver((_, observer) => {
    if (document.querySelector('h1') !== null) {
      window.__h1 = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
`;

async function load(browser: Browser, url: string, cookie: string | null, viewport: { width: number; height: number }): Promise<Load> {
  const context = await browser.newContext({ viewport, locale: 'en-US' });
  try {
    if (cookie !== null) {
      await context.addCookies([{ name: 'patron_session', value: cookie, url }]);
    }
    await context.addInitScript(HEADING_WATCH);
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __h1?: number }).__h1 !== undefined, undefined, { timeout: 30_000 });
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, undefined, { timeout: 30_000 });
    return await page.evaluate(() => ({
      paint: performance.getEntriesByName('first-contentful-paint')[0]!.startTime,
      heading: (window as unknown as { __h1: number }).__h1,
    }));
  } finally {
    await context.close();
  }
}

async function floor(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url + '/healthz');
    return await page.evaluate(async () => {
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await (await fetch('/healthz', { cache: 'no-store' })).text();
        times.push(performance.now() - t0);
      }
      return times.sort((a, b) => a - b)[10]!;
    });
  } finally {
    await context.close();
  }
}

async function signIn(url: string, path: string, body: unknown): Promise<string> {
  const r = await fetch(url + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const cookie = /patron_session=([^;]*)/.exec(r.headers.get('set-cookie') ?? '');
  if (r.status !== 201 || cookie === null) {
    throw new Error(`sign-in ${path}: ${r.status} ${await r.text()}`);
  }
  return cookie[1]!;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const server = await startServer();
  const browser = await launchBrowser();
  try {
    createUser(server, { email: 'admin@bench.example', name: 'Bench Admin', role: 'admin', password: PASSWORD });
    createUser(server, { email: 'staff@bench.example', name: 'Bench Staff', role: 'staff', password: PASSWORD });
    const admin = await signIn(server.url, '/v1/sessions', { email: 'admin@bench.example', password: PASSWORD });
    const staff = await signIn(server.url, '/v1/sessions', { email: 'staff@bench.example', password: PASSWORD });
    const member = await signIn(server.url, '/v1/portal/sign-up', { email: 'member@bench.example', password: PASSWORD, first_name: 'Bench' });
    const cases: [string, string, string | null, { width: number; height: number }][] = [
      ['dashboard, signed out', '/', null, DESKTOP],
      ['dashboard, overview', '/', admin, DESKTOP],
      ['till, signed out', '/till/', null, PHONE],
      ['till, find a member', '/till/', staff, PHONE],
      ['portal, signed out', '/portal/', null, PHONE],
      ['portal, home', '/portal/', member, PHONE],
    ];
    const rows: string[] = [];
    for (const [name, path, cookie, viewport] of cases) {
      await load(browser, server.url + path, cookie, viewport); // warm the server, not reported
      const loads: Load[] = [];
      for (let i = 0; i < LOADS; i++) {
        loads.push(await load(browser, server.url + path, cookie, viewport));
      }
      const paint = loads.map((l) => l.paint);
      const heading = loads.map((l) => l.heading);
      rows.push(
        `${name.padEnd(24)} ${median(paint).toFixed(0).padStart(6)} ${Math.max(...paint).toFixed(0).padStart(6)}` +
          ` ${median(heading).toFixed(0).padStart(8)} ${Math.max(...heading).toFixed(0).padStart(8)}` +
          `   ${(median(heading) / 1000).toFixed(2)} x the 1 s target`,
      );
    }
    const healthz = await floor(browser, server.url);
    console.log(`\nFirst render on loopback, ${LOADS} cold loads each (ms from the navigation's start; target < 1000)`);
    console.log(`${'page'.padEnd(24)} ${'paint'.padStart(6)} ${'max'.padStart(6)} ${'heading'.padStart(8)} ${'max'.padStart(8)}`);
    for (const row of rows) {
      console.log(row);
    }
    console.log(`${'GET /healthz from a page'.padEnd(24)} ${healthz.toFixed(1).padStart(6)} ms (median of 20: the loopback's floor)`);
  } finally {
    await browser.close();
    await server.stop();
  }
}

await main();
