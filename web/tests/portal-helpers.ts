// SPDX-License-Identifier: MIT
// The portal tests' steps a member takes (join, sign in, open a screen) and the checks every
// screen gets: its pictures drawn, no text under AA contrast, screenshots at both widths.
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { OpenedPage } from './harness';
import { catalog, contrastProblems, openPage as openHarnessPage, screenshots } from './harness';

export const PASSWORD = 'correct horse battery';

export interface Joined {
  memberId: string;
  cardNumber: string;
  referralCode: string;
}

// The harness's page, with a shorter wait for what never comes (a failure says so in 15 s, not 30).
export async function openPage(
  browser: Browser,
  url: string,
  options: { locale?: string; viewport?: { width: number; height: number } } = {},
): Promise<OpenedPage> {
  const opened = await openHarnessPage(browser, url, options);
  opened.context.setDefaultTimeout(15_000);
  return opened;
}

// The member of the page's session, read as the page reads it.
export async function currentMember(page: Page): Promise<Joined> {
  const body = await page.evaluate(async () => {
    const r = await fetch('/v1/sessions/current', { headers: { Accept: 'application/json' } });
    return (await r.json()) as { member: { id: string; card_number: string; referral_code: string } };
  });
  return { memberId: body.member.id, cardNumber: body.member.card_number, referralCode: body.member.referral_code };
}

// Joins on /portal/join with an email and a first name; resolves on the home screen.
export async function join(page: Page, url: string, email: string, firstName = 'Ada', locale = 'en'): Promise<Joined> {
  const m = catalog(locale);
  await page.goto(url + '/portal/join');
  await page.getByLabel(m['portal.field.email']!, { exact: true }).fill(email);
  await page.getByLabel(m['signin.password']!, { exact: true }).fill(PASSWORD);
  await page.getByLabel(m['portal.field.first_name']!, { exact: true }).fill(firstName);
  await page.getByLabel(m['portal.field.last_name']!, { exact: true }).fill('Lovelace');
  await page.getByRole('button', { name: m['portal.join.submit'] }).click();
  await page.getByTestId('points-available').waitFor();
  return currentMember(page);
}

export async function signIn(page: Page, url: string, login: string, password = PASSWORD): Promise<void> {
  const m = catalog('en');
  await page.goto(url + '/portal/');
  await page.getByLabel(m['signin.login']!, { exact: true }).fill(login);
  await page.getByLabel(m['signin.password']!, { exact: true }).fill(password);
  await page.getByRole('button', { name: m['signin.submit'] }).click();
  await page.getByTestId('points-available').waitFor();
}

// Every <img> on the page has loaded and has a size (the server drew the QR code or barcode).
export async function picturesDrawn(page: Page): Promise<void> {
  await page.waitForFunction(() =>
    [...document.images].every((img) => img.complete && img.naturalWidth > 0 && img.naturalHeight > 0),
  );
}

// The screen's pictures at phone and desktop widths, after checking its contrast. On a phone
// the tab bar sticks to the bottom of the screen; for a full-page picture it is put back at the
// page's end, where a member who scrolled down sees it.
export async function shoot(page: Page, screen: string, locale = 'en'): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  const problems = await contrastProblems(page);
  assert.deepEqual(problems, [], `${screen} (${locale}): text under AA contrast`);
  await page.evaluate(() => {
    const nav = document.querySelector<HTMLElement>('.pt-nav');
    if (nav !== null) {
      nav.style.position = 'static';
    }
  });
  await screenshots(page, 'portal', screen, locale);
  await page.evaluate(() => document.querySelector<HTMLElement>('.pt-nav')?.style.removeProperty('position'));
}

// The page's problems less those a test expects: a refused request it made on purpose (and the
// console's line about that answer, which does not name the address), and requests cut short by
// a navigation or by the page itself (net::ERR_ABORTED: a reload, a coupon's poll stopped).
export function unexpected(problems: string[], expected: RegExp[] = []): string[] {
  const statuses = new Set<string>();
  const left = problems.filter((p) => {
    if (/^failed: .* net::ERR_ABORTED$/.test(p)) {
      return false;
    }
    if (expected.some((re) => re.test(p))) {
      const m = /^answer (\d+):/.exec(p);
      if (m !== null) statuses.add(m[1]!);
      return false;
    }
    return true;
  });
  return left.filter((p) => {
    const m = /^console: Failed to load resource: the server responded with a status of (\d+)/.exec(p);
    return m === null || !statuses.has(m[1]!);
  });
}
