// SPDX-License-Identifier: MIT
// What the till's browser tests share: the program they run against (rules with a nudge, a
// stamp card, a reward and its coupons, a member with points, staff and viewer users), the
// API called with the admin key `patron init` printed, the sign-in, and the catalog's texts.
import type { Page } from 'playwright-core';
import { type Server, catalog, createUser, screenshots } from './harness';

export const STAFF = { email: 'sam@example.com', name: 'Sam Cashier', role: 'staff', password: 'counter-password-1' } as const;
export const VIEWER = { email: 'val@example.com', name: 'Val Viewer', role: 'viewer', password: 'viewer-password-1' } as const;

export interface Program {
  ada: { id: string; card_number: string };
  rewardId: string;
  coupons: string[]; // Ada's coupons of "Free espresso", unused
  purchaseId?: string;
}

// The API with the program's admin key; throws with the answer on anything but 2xx.
export async function apiCall<T>(server: Server, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(server.url + path, {
    method,
    headers: {
      Authorization: `Bearer ${server.apiKey}`,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${method} ${path}: ${response.status} ${text}`);
  }
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

// Cart lines as the API takes them, from [sku, name, category, quantity, unit_price].
export function cartOf(lines: [string, string, string, number, number][]) {
  return lines.map(([sku, name, category, quantity, unit_price]) => ({ sku, name, category, quantity, unit_price }));
}

// The program of a till: "4th coffee free" (its nudge: "1 more for a free one"), double points
// from 50.00, a coffee stamp card, a reward "Free espresso" and coupons of it for Ada.
export async function seedProgram(server: Server, coupons = 4): Promise<Program> {
  createUser(server, STAFF);
  createUser(server, VIEWER);
  await apiCall(server, 'POST', '/v1/rules', {
    name: '4th coffee free',
    trigger: 'purchase',
    items: { eq: ['item.category', 'coffee'] },
    effects: [{ type: 'free_items', buy: 3, get: 1 }],
    status: 'active',
  });
  await apiCall(server, 'POST', '/v1/rules', {
    name: 'Double points over 50',
    trigger: 'purchase',
    conditions: { gte: ['cart.amount', 5000] },
    effects: [{ type: 'award_points', multiplier: 2 }],
    status: 'active',
  });
  await apiCall(server, 'POST', '/v1/stamp-cards', {
    name: 'Coffee card',
    stamps_required: 8,
    stamps_per: 'item',
    items: { eq: ['item.category', 'coffee'] },
    reward: { points: 50 },
  });
  const reward = await apiCall<{ id: string }>(server, 'POST', '/v1/rewards', {
    name: 'Free espresso',
    type: 'free_product',
    sku: 'ESP',
    cost_points: 10,
  });
  const ada = await apiCall<{ id: string; card_number: string }>(server, 'POST', '/v1/members', {
    email: 'ada@example.com',
    phone: '+66812345678',
    first_name: 'Ada',
    last_name: 'Lovelace',
  });
  await apiCall(server, 'POST', `/v1/members/${ada.id}/adjustments`, { points: 200, reason: 'welcome' });
  const codes: string[] = [];
  for (let i = 0; i < coupons; i++) {
    codes.push((await apiCall<{ code: string }>(server, 'POST', `/v1/members/${ada.id}/rewards/${reward.id}/redeem`)).code);
  }
  return { ada, rewardId: reward.id, coupons: codes };
}

// A message of the catalog with its {placeholders} filled.
export function msg(key: string, params: Record<string, string | number> = {}, locale = 'en'): string {
  const text = catalog(locale)[key];
  if (typeof text !== 'string') {
    throw new Error(`no message ${key}`);
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

export async function signIn(page: Page, user: { email: string; password: string }, locale = 'en'): Promise<void> {
  const messages = catalog(locale);
  await page.getByLabel(messages['signin.email']!, { exact: true }).fill(user.email);
  await page.getByLabel(messages['signin.password']!, { exact: true }).fill(user.password);
  await page.getByRole('button', { name: messages['signin.submit'] }).click();
  await page.getByRole('heading', { level: 1, name: messages['till.find_title'] }).waitFor();
}

// Fills the add-a-line form of the cart (English labels).
export async function fill(
  page: Page,
  line: { sku: string; name: string; category: string; quantity: string; price: string },
): Promise<void> {
  const en = catalog('en');
  await page.getByLabel(en['till.line_sku']!, { exact: true }).fill(line.sku);
  await page.getByLabel(en['till.line_name']!, { exact: true }).fill(line.name);
  await page.getByLabel(en['till.line_category']!, { exact: true }).fill(line.category);
  await page.getByLabel(en['till.line_quantity']!, { exact: true }).fill(line.quantity);
  await page.getByLabel(msg('till.line_price', { currency: 'USD' }), { exact: true }).fill(line.price);
}

// The 4xx (and network) answers a test expects, as the page's problems list them: the answer
// itself and the console line Chromium writes for it.
export function expected(status: number | 'network', method: string, path: RegExp): RegExp[] {
  if (status === 'network') {
    return [new RegExp(`^failed: .*${path.source.replace(/\$$/, '')}`), /^console: Failed to load resource: net::ERR_/];
  }
  return [
    new RegExp(`^answer ${status}: ${method} .*${path.source}`),
    new RegExp(`^console: Failed to load resource: the server responded with a status of ${status}`),
  ];
}

// The problems of a page (harness.openPage) but those allowed; empties the list, so that a
// failure is reported once.
export function problemsLeft(problems: string[], allowed: RegExp[] = []): string[] {
  const left = problems.filter((p) => !allowed.some((re) => re.test(p)));
  problems.length = 0;
  return left;
}

// The harness's screenshots at both widths, from the top of the page (the sale's evaluation
// sticks to the top of the window: scrolled down, a full-page picture shows it lower).
export async function shot(page: Page, screen: string, locale = 'en'): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshots(page, 'till', screen, locale);
}
