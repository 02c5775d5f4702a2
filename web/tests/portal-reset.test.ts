// SPDX-License-Identifier: MIT
// A forgotten password, end to end: the member asks for a link on /portal/forgot, the server's
// delivery hook writes it to the log (`serve --reset-delivery log`, dev only), the link opens
// the portal's reset screen, the new password is set, the old one no longer signs in and the
// new one does; the link works once.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type Server, catalog, launchBrowser, startServer } from './harness';
import { PASSWORD, join, openPage, shoot, signIn, unexpected } from './portal-helpers';

const en = catalog('en');
const NEW_PASSWORD = 'a new and longer secret';

let server: Server | undefined;
let browser: Browser | undefined;
let why = '';

before(async () => {
  try {
    server = await startServer(['--reset-delivery', 'log']);
  } catch (e) {
    why = `patron serve has no --reset-delivery yet: ${String(e).split('\n')[0]}`;
    return;
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// The link the delivery hook logged for the last request (an absolute URL or a path).
function loggedLink(log: string): URL | null {
  const lines = log.split('\n').filter((l) => /token=/.test(l));
  const last = lines[lines.length - 1];
  const m = last === undefined ? null : /((?:https?:\/\/[^\s"]+)?\/portal\/[^\s"]*token=[A-Za-z0-9_%-]+)/.exec(last);
  return m === null ? null : new URL(m[1]!, server!.url);
}

test('reset a forgotten password with the link from the log', async (t) => {
  if (server === undefined || browser === undefined) {
    t.skip(why);
    return;
  }
  const { context, page, problems } = await openPage(browser, server.url + '/portal/join');
  try {
    const email = `reset-${Date.now()}@example.com`;
    await join(page, server.url, email);
    await page.goto(server.url + '/portal/account');
    await page.getByRole('button', { name: en['common.sign_out'] }).click();
    await page.getByRole('heading', { level: 1, name: en['signin.title'] }).waitFor();

    await page.getByRole('link', { name: en['portal.signin.forgot'] }).click();
    await page.getByLabel(en['signin.login']!, { exact: true }).fill(email);
    const before = server.log().length;
    await page.getByRole('button', { name: en['portal.forgot.submit'] }).click();
    await page.getByTestId('reset-sent').waitFor();
    let link: URL | null = null;
    for (let i = 0; i < 50 && link === null; i += 1) {
      link = loggedLink(server.log().slice(before));
      if (link === null) await page.waitForTimeout(100);
    }
    assert.ok(link !== null, `no reset link in the log:\n${server.log().slice(before)}`);
    // The link is the server's (same origin); the page opens whatever path form it has.
    const target = server.url + link.pathname + link.search + link.hash;
    await page.goto(target);
    await page.getByRole('heading', { level: 1, name: en['portal.reset.title'] }).waitFor();
    await page.getByLabel(en['portal.account.password_new']!, { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel(en['portal.reset.again']!, { exact: true }).fill('something else entirely');
    await page.getByRole('button', { name: en['portal.reset.submit'] }).click();
    await page.getByText(en['portal.reset.mismatch']!).waitFor();
    await page.getByLabel(en['portal.reset.again']!, { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: en['portal.reset.submit'] }).click();
    await page.getByTestId('reset-done').waitFor();
    await shoot(page, 'reset-done');

    // The old password no longer signs in; the new one does.
    await page.goto(server.url + '/portal/');
    await page.getByLabel(en['signin.login']!, { exact: true }).fill(email);
    await page.getByLabel(en['signin.password']!, { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: en['signin.submit'] }).click();
    await page.getByRole('alert').getByText(en['signin.invalid']!).waitFor();
    await signIn(page, server.url, email, NEW_PASSWORD);

    // The link worked once.
    await page.goto(server.url + '/portal/account');
    await page.getByRole('button', { name: en['common.sign_out'] }).click();
    await page.goto(target);
    await page.getByLabel(en['portal.account.password_new']!, { exact: true }).fill('yet another password');
    await page.getByLabel(en['portal.reset.again']!, { exact: true }).fill('yet another password');
    await page.getByRole('button', { name: en['portal.reset.submit'] }).click();
    await page.getByRole('alert').getByText(en['portal.error.reset_token']!).waitFor();
    assert.deepEqual(
      unexpected(problems, [
        /answer 401: POST .*\/v1\/portal\/sessions/,
        /answer 4\d\d: POST .*\/v1\/portal\/password-resets\/confirm/,
        /\/purchases/,
        // A server without the program's public face (issue 19's public branch) still resets.
        /answer 404: GET .*\/v1\/public\/program/,
        // A reset ends the member's sessions: a page that still hoped for one is told 401.
        /answer 401: GET .*\/v1\/sessions\/current/,
      ]),
      [],
    );
  } finally {
    await context.close();
  }
});
