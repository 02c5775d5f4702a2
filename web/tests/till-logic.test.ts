// SPDX-License-Identifier: MIT
// The till's pure parts, without a browser: what a typed or scanned text is (a card number by
// its Luhn digit, a coupon code by its Damm check symbol as src/core/coupon_code.c computes it,
// a purchase id, a phone, an email, else a name), the cart's lines, a cart pasted as JSON, and
// the payments a purchase sends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_CART, addLine, cartAmount, evaluationBody, isPasteError, parsePastedCart, purchasePayments, setQuantity } from '../src/till/cart';
import { canonicalCoupon, classify, formatCardNumber, luhnValid, printCoupon } from '../src/till/codes';
import type { CartAnswer } from '../src/till/types';

test('a card number is 16 digits whose last is the Luhn check digit', () => {
  assert.ok(luhnValid('7934786321303554'));
  assert.ok(!luhnValid('7934786321303555'));
  assert.deepEqual(classify('7934786321303554'), { kind: 'card', value: '7934786321303554' });
  assert.deepEqual(classify(' 7934 7863 2130 3554 '), { kind: 'card', value: '7934786321303554' });
  // One digit wrong is not a card (a name search, which finds nobody), never another member.
  assert.equal(classify('7934786321303555').kind, 'name');
  assert.equal(formatCardNumber('7934786321303554'), '7934 7863 2130 3554');
});

test('a coupon code is read as the server reads it, its check symbol included', () => {
  // Codes the server issued (GET /v1/coupons answers them so).
  assert.equal(canonicalCoupon('0Y1M-DG6E-RMM1-W'), '0Y1MDG6ERMM1W');
  assert.equal(canonicalCoupon('0y1m dg6e rmm1 w'), '0Y1MDG6ERMM1W');
  assert.equal(canonicalCoupon('OY1M-DG6E-RMMI-W'), '0Y1MDG6ERMM1W'); // O is 0, I is 1
  assert.deepEqual(classify('0y1m-dg6e-rmm1-w'), { kind: 'coupon', value: '0Y1MDG6ERMM1W' });
  // One symbol changed, or two neighbours swapped: the check catches it.
  assert.equal(canonicalCoupon('0Y1M-DG6E-RMM1-X'), null);
  assert.equal(canonicalCoupon('Y01M-DG6E-RMM1-W'), null);
  assert.equal(printCoupon('0Y1MDG6ERMM1W'), '0Y1M-DG6E-RMM1-W');
  // A prefix of a promotion batch.
  const promo = 'MAY26' + '0Y1MDG6ERMM1';
  let check = '';
  for (const c of '0123456789ABCDEFGHJKMNPQRSTVWXYZ') {
    if (canonicalCoupon(promo + c) !== null) {
      check = c;
    }
  }
  assert.notEqual(check, '');
  assert.equal(printCoupon(promo + check), `MAY26-0Y1M-DG6E-RMM1-${check}`);
});

test('ids, phones, emails and names', () => {
  assert.deepEqual(classify('txn_06h53mj6j1pvn7rc4mw4k0gy8c'), { kind: 'purchase', value: 'txn_06h53mj6j1pvn7rc4mw4k0gy8c' });
  assert.deepEqual(classify('mem_06h53mg9e1dd5gfdj97wt4j7e0'), { kind: 'member', value: 'mem_06h53mg9e1dd5gfdj97wt4j7e0' });
  assert.deepEqual(classify('+66 81 234 5678'), { kind: 'phone', value: '+66812345678' });
  assert.deepEqual(classify('Ada@Example.com'), { kind: 'email', value: 'Ada@Example.com' });
  assert.deepEqual(classify('Lovelace'), { kind: 'name', value: 'Lovelace' });
  assert.deepEqual(classify('Jean-Luc'), { kind: 'name', value: 'Jean-Luc' });
  assert.deepEqual(classify('   '), { kind: 'empty', value: '' });
});

test('the cart: a line again adds to its quantity; quantity 0 removes it', () => {
  const coffee = { sku: 'COF', name: 'Coffee', category: 'coffee', quantity: 1, unit_price: 350 };
  let lines = addLine([], coffee);
  lines = addLine(lines, { ...coffee, quantity: 2 });
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.quantity, 3);
  lines = addLine(lines, { ...coffee, unit_price: 300 }); // another price: another line
  assert.equal(lines.length, 2);
  assert.equal(cartAmount(lines), 3 * 350 + 300);
  lines = setQuantity(lines, 1, 0);
  assert.deepEqual(lines.map((l) => l.unit_price), [350]);
  const body = evaluationBody({ ...EMPTY_CART, lines: [{ ...coffee, name: '', category: '' }] }, 'USD', 'mem_x');
  assert.deepEqual(body, { member_id: 'mem_x', currency: 'USD', items: [{ sku: 'COF', quantity: 1, unit_price: 350 }] });
});

test('a pasted cart: a list of lines or {"items", "coupons"}, with the faulty line named', () => {
  const pasted = parsePastedCart('{"items":[{"sku":"COF","name":"Coffee","category":"coffee","quantity":2,"unit_price":350}],"coupons":["K7QF-9XZ2-M4TD-P"]}');
  assert.ok(!isPasteError(pasted));
  assert.deepEqual(pasted, {
    lines: [{ sku: 'COF', name: 'Coffee', category: 'coffee', quantity: 2, unit_price: 350 }],
    coupons: ['K7QF-9XZ2-M4TD-P'],
  });
  const list = parsePastedCart('[{"sku":"A","unit_price":100},{"sku":"A","unit_price":100,"quantity":2}]');
  assert.ok(!isPasteError(list));
  assert.equal(list.lines[0]!.quantity, 3);
  assert.deepEqual(parsePastedCart('{items:'), { key: 'till.paste_not_json' });
  assert.deepEqual(parsePastedCart('[]'), { key: 'till.paste_no_lines' });
  assert.deepEqual(parsePastedCart('[{"sku":"A","unit_price":1},{"sku":"B","unit_price":12.5}]'), {
    key: 'till.paste_bad_line',
    line: 2,
    field: 'unit_price',
  });
  assert.deepEqual(parsePastedCart('[{"sku":"A","unit_price":1,"quantity":0}]'), { key: 'till.paste_bad_line', line: 1, field: 'quantity' });
  assert.deepEqual(parsePastedCart('[{"unit_price":1}]'), { key: 'till.paste_bad_line', line: 1, field: 'sku' });
  assert.deepEqual(parsePastedCart(JSON.stringify(Array(201).fill({ sku: 'A', unit_price: 1 }))), { key: 'till.paste_too_many', max: 200 });
});

test('payments add up to what is left to pay: points first, the rest by the method chosen', () => {
  const answer = { to_pay: 2000, balance_due: 1500 } as CartAnswer;
  assert.deepEqual(purchasePayments({ ...EMPTY_CART, method: 'cash' }, answer), [{ method: 'cash', amount: 2000 }]);
  assert.deepEqual(purchasePayments({ ...EMPTY_CART, points: 500 }, answer), [
    { method: 'points', points: 500 },
    { method: 'card', amount: 1500 },
  ]);
  assert.deepEqual(purchasePayments(EMPTY_CART, { to_pay: 0, balance_due: 0 } as CartAnswer), []);
});
