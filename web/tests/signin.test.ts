// SPDX-License-Identifier: MIT
// Each face's sign-in screen, in English and Thai, at phone and desktop widths: it renders from
// the binary with no console error or failed request, its language follows the browser's, its
// controls are labelled, its text has AA contrast, Thai is drawn with the bundled Noto Sans Thai (no machine font, no
// empty boxes), and the form says what is missing at the field, by keyboard alone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  type Server,
  catalog,
  contrastProblems,
  fontsUsed,
  launchBrowser,
  openPage,
  screenshots,
  startServer,
} from './harness';

const FACES = [
  { face: 'dashboard', path: '/', loginKey: 'signin.email' },
  { face: 'till', path: '/till/', loginKey: 'signin.email' },
  { face: 'portal', path: '/portal/', loginKey: 'signin.login' },
] as const;
const LOCALES = [
  { locale: 'en', browser: 'en-US' },
  { locale: 'th', browser: 'th-TH' },
] as const;

let server: Server;
let browser: Browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('sign-in screens', () => {
  for (const { face, path, loginKey } of FACES) {
    for (const { locale, browser: browserLocale } of LOCALES) {
      test(`${face} in ${locale}`, async () => {
        const messages = catalog(locale);
        const { context, page, problems } = await openPage(browser, server.url + path, {
          locale: browserLocale,
        });
        try {
          const heading = page.getByRole('heading', { level: 1 });
          await heading.waitFor();
          assert.equal(await heading.textContent(), messages['signin.title']);
          assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
          // Every control has its label (what a screen reader says and getByLabel finds).
          await page.getByLabel(messages[loginKey], { exact: true }).waitFor();
          await page.getByLabel(messages['signin.password'], { exact: true }).waitFor();
          await page.getByLabel(messages['common.language'], { exact: true }).waitFor();
          await page.getByRole('button', { name: messages['signin.submit'] }).waitFor();

          const fonts = await fontsUsed(page, 'h1, p, label, button, span');
          const machine = fonts.filter((f) => !f.custom && f.glyphs > 0);
          assert.deepEqual(machine, [], `text drawn with a machine font: ${JSON.stringify(fonts)}`);
          const family = locale === 'th' ? 'Noto Sans Thai' : 'Noto Sans';
          assert.ok(
            fonts.some((f) => f.family === family && f.custom && f.glyphs > 0),
            `${family} draws nothing: ${JSON.stringify(fonts)}`,
          );
          await screenshots(page, face, 'sign-in', locale);
          assert.deepEqual(await contrastProblems(page), []);
          assert.deepEqual(problems, []);
        } finally {
          await context.close();
        }
      });
    }
  }
});

test('the sign-in form names what is missing, by keyboard alone', async () => {
  const messages = catalog('en');
  const { context, page, problems } = await openPage(browser, server.url + '/portal/');
  try {
    await page.getByRole('heading', { level: 1 }).waitFor();
    // The first Tab reaches the skip link, which moves the focus to the main content.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), messages['common.skip_to_content']);
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
    await page.keyboard.press('Tab');
    await page.keyboard.type('ada@example.com');
    await page.keyboard.press('Enter'); // submits with the password empty
    const password = page.getByLabel(messages['signin.password'], { exact: true });
    await page.getByText(messages['common.required']).waitFor();
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    const described = await password.getAttribute('aria-describedby');
    assert.ok(described !== null);
    assert.equal(await page.locator(`[id="${described}"]`).textContent(), messages['common.required']);
    const login = page.getByLabel(messages['signin.login'], { exact: true });
    assert.equal(await login.getAttribute('aria-invalid'), null);
    await screenshots(page, 'portal', 'sign-in-missing');
    assert.deepEqual(await contrastProblems(page), []); // the error texts too
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});

test('the language switcher changes the page and is remembered', async () => {
  const { context, page, problems } = await openPage(browser, server.url + '/till/');
  try {
    await page.getByRole('heading', { level: 1 }).waitFor();
    for (const locale of ['vi', 'uk', 'th'] as const) {
      const before = catalog(locale === 'vi' ? 'en' : locale === 'uk' ? 'vi' : 'uk');
      await page.getByLabel(before['common.language'], { exact: true }).selectOption(locale);
      const messages = catalog(locale);
      await page.getByRole('heading', { level: 1, name: messages['signin.title'] }).waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
      if (locale !== 'th') {
        await screenshots(page, 'till', 'sign-in', locale);
      }
    }
    await page.evaluate(() => document.fonts.ready);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: catalog('th')['signin.title'] }).waitFor();
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
});
