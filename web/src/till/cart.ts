// SPDX-License-Identifier: MIT
// The cart the cashier builds: its lines (as POST /v1/carts/evaluate and POST /v1/transactions
// take them: sku, name, category, quantity, unit price in minor units), the codes given with it,
// and how the rest is paid. Pure: the screens keep a Cart in their state and call these.
import type { CartAnswer, PaymentLine, PaymentMethod } from './types';

export interface CartLine {
  sku: string;
  name: string;
  category: string;
  quantity: number;
  unit_price: number; // minor units
}

export interface Cart {
  lines: CartLine[];
  coupons: string[]; // as typed or scanned
  method: Exclude<PaymentMethod, 'points'>; // how what points do not pay is paid
  points: number; // points the member pays with (0: none)
}

export const EMPTY_CART: Cart = { lines: [], coupons: [], method: 'card', points: 0 };

// The API's bounds (docs/openapi.yaml): lines of a cart, codes, text of a sku or a category.
export const MAX_LINES = 200;
export const MAX_COUPONS = 10;
export const MAX_TEXT = 128;
// Amounts are integers below 2^53 in JavaScript; the API's own bound is 10^15 minor units.
const MAX_AMOUNT = 1_000_000_000_000_000;

// A line of the same product at the same price adds to the quantity of the one there.
export function addLine(lines: CartLine[], line: CartLine): CartLine[] {
  const i = lines.findIndex(
    (l) =>
      l.sku === line.sku &&
      l.unit_price === line.unit_price &&
      l.category === line.category &&
      l.name === line.name,
  );
  if (i < 0) {
    return [...lines, line];
  }
  return lines.map((l, j) => (j === i ? { ...l, quantity: l.quantity + line.quantity } : l));
}

// A quantity below 1 removes the line.
export function setQuantity(lines: CartLine[], index: number, quantity: number): CartLine[] {
  if (quantity < 1) {
    return lines.filter((_, j) => j !== index);
  }
  return lines.map((l, j) => (j === index ? { ...l, quantity } : l));
}

export function cartAmount(lines: CartLine[]): number {
  return lines.reduce((sum, l) => sum + l.quantity * l.unit_price, 0);
}

// The lines as the API takes them (an empty name or category is left out).
export function requestItems(lines: CartLine[]) {
  return lines.map((l) => ({
    sku: l.sku,
    ...(l.name !== '' ? { name: l.name } : {}),
    ...(l.category !== '' ? { category: l.category } : {}),
    quantity: l.quantity,
    unit_price: l.unit_price,
  }));
}

// The body of POST /v1/carts/evaluate for the cart (and member; without, a guest's cart).
export function evaluationBody(cart: Cart, currency: string | undefined, memberId: string | undefined) {
  return {
    ...(memberId !== undefined ? { member_id: memberId } : {}),
    ...(currency !== undefined ? { currency } : {}),
    items: requestItems(cart.lines),
    ...(cart.coupons.length > 0 ? { coupons: cart.coupons } : {}),
    ...(cart.points > 0 ? { payments: [{ method: 'points', points: cart.points }] } : {}),
  };
}

// How the purchase is paid, from the evaluation of the same cart: the points the cashier chose
// (what they pay is the server's sum, at the program's point value) and the rest by the chosen
// method. The lines add up to what is left to pay after discounts, as the API demands.
export function purchasePayments(cart: Cart, answer: CartAnswer): PaymentLine[] {
  const lines: PaymentLine[] = [];
  if (cart.points > 0) {
    lines.push({ method: 'points', points: cart.points });
  }
  const rest = cart.points > 0 ? answer.balance_due : answer.to_pay;
  if (rest > 0) {
    lines.push({ method: cart.method, amount: rest });
  }
  return lines;
}

export type PasteError =
  | { key: 'till.paste_not_json' }
  | { key: 'till.paste_no_lines' }
  | { key: 'till.paste_too_many'; max: number }
  | { key: 'till.paste_bad_line'; line: number; field: string };

export interface PastedCart {
  lines: CartLine[];
  coupons: string[];
}

function text(value: unknown, max: number): string | null {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'string' && new TextEncoder().encode(value).length <= max ? value : null;
}

function wholeNumber(value: unknown, min: number): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= MAX_AMOUNT
    ? value
    : null;
}

// A cart pasted from the till system: its JSON, either the list of lines or an object with
// "items" (and maybe "coupons"), each line as the API takes it (unit_price in minor units).
// Says which line and field is wrong, counted from 1.
export function parsePastedCart(input: string): PastedCart | PasteError {
  let doc: unknown;
  try {
    doc = JSON.parse(input);
  } catch {
    return { key: 'till.paste_not_json' };
  }
  const object = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  const items = Array.isArray(doc) ? doc : object?.items;
  if (!Array.isArray(items) || items.length === 0) {
    return { key: 'till.paste_no_lines' };
  }
  if (items.length > MAX_LINES) {
    return { key: 'till.paste_too_many', max: MAX_LINES };
  }
  let lines: CartLine[] = [];
  for (const [i, item] of items.entries()) {
    const bad = (field: string): PasteError => ({ key: 'till.paste_bad_line', line: i + 1, field });
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return bad('sku');
    }
    const it = item as Record<string, unknown>;
    const sku = text(it.sku, MAX_TEXT);
    if (sku === null || sku.trim() === '') {
      return bad('sku');
    }
    const name = text(it.name, 200);
    if (name === null) {
      return bad('name');
    }
    const category = text(it.category, MAX_TEXT);
    if (category === null) {
      return bad('category');
    }
    const quantity = wholeNumber(it.quantity ?? 1, 1);
    if (quantity === null) {
      return bad('quantity');
    }
    const unitPrice = wholeNumber(it.unit_price, 0);
    if (unitPrice === null) {
      return bad('unit_price');
    }
    lines = addLine(lines, { sku, name, category, quantity, unit_price: unitPrice });
  }
  const coupons = Array.isArray(object?.coupons)
    ? (object.coupons as unknown[]).filter((c): c is string => typeof c === 'string' && c.trim() !== '').slice(0, MAX_COUPONS)
    : [];
  return { lines, coupons };
}

export function isPasteError(value: PastedCart | PasteError): value is PasteError {
  return 'key' in value;
}
