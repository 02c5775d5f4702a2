// SPDX-License-Identifier: MIT
// The dashboard's pure logic, without a browser: where the API's refused field is in the text a
// person typed (the rule editor marks that line), the merge patch a changed rule sends, and how
// a rule document is shown.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { changedFields, fromValues, toValues } from '../src/dashboard/form';
import type { Spec } from '../src/dashboard/form';
import { JsonSyntaxError, lineOf, locate, mergePatch, parseWithPositions, pretty } from '../src/dashboard/json';

const RULE = `{
  "name": "Weekend",
  "trigger": "purchase",
  "conditions": {"all": [
    {"in": ["time.weekday", [6, 7]]},
    {"gte": ["cart.amount", 5000]}
  ]},
  "effects": [
    {"type": "award_points", "multiplier": 2},
    {"type": "award_points", "points": 5, "per": "week"}
  ],
  "member.attributes.vip": true
}`;

function lineOfPath(text: string, path: string): { line: number; exact: boolean; text: string } {
  const at = locate(parseWithPositions(text), path);
  return { line: lineOf(text, at.start).line, exact: at.exact, text: text.slice(at.start, at.end) };
}

describe('locating a field path in a JSON text', () => {
  test('a member of an object in a list: the key is marked on its line', () => {
    const at = lineOfPath(RULE, 'effects.1.per');
    assert.equal(at.line, 10);
    assert.equal(at.exact, true);
    assert.equal(at.text, '"per": "week"');
  });

  test('an item of a nested list', () => {
    assert.deepEqual(lineOfPath(RULE, 'conditions.all.1.gte.0'), { line: 6, exact: true, text: '"cart.amount"' });
    assert.equal(lineOfPath(RULE, 'conditions.all.0.in.1').text, '[6, 7]');
  });

  test('a whole object the API refuses spans its lines', () => {
    const at = locate(parseWithPositions(RULE), 'effects.0');
    assert.equal(RULE.slice(at.start, at.end), '{"type": "award_points", "multiplier": 2}');
  });

  test('a key holding dots is found whole', () => {
    assert.deepEqual(lineOfPath(RULE, 'member.attributes.vip'), { line: 12, exact: true, text: '"member.attributes.vip": true' });
  });

  test('a missing field falls back to its nearest parent, not exact', () => {
    const at = lineOfPath(RULE, 'effects.0.points');
    assert.equal(at.exact, false);
    assert.equal(at.line, 9);
    assert.equal(lineOfPath(RULE, 'valid_from').line, 1); // absent at the top: the document
  });

  test('a text that is not JSON names the offset of its fault', () => {
    const bad = '{\n  "name": "x",\n  "trigger": purchase\n}';
    assert.throws(
      () => parseWithPositions(bad),
      (e: unknown) => e instanceof JsonSyntaxError && lineOf(bad, e.pos).line === 3,
    );
    assert.throws(() => parseWithPositions('{"a": 1,}'), JsonSyntaxError);
    assert.throws(() => parseWithPositions('{"a": 1} x'), JsonSyntaxError);
    assert.throws(() => parseWithPositions('"open'), JsonSyntaxError);
  });

  test('it parses what JSON.parse parses', () => {
    for (const text of ['0', '-1.5e3', 'true', 'null', '"a\\"b\\u00e9"', '[]', '{}', '[1, [2, {"a": [3]}]]', RULE]) {
      const node = parseWithPositions(text);
      assert.equal(node.start, 0);
      assert.equal(node.end, text.length);
      assert.doesNotThrow(() => JSON.parse(text));
    }
  });
});

describe('the merge patch of a changed rule', () => {
  const before = { name: 'A', trigger: 'purchase', conditions: { gte: ['cart.amount', 100] }, effects: [{ type: 'award_points', points: 5 }], priority: 1 };

  test('equal documents need no patch', () => {
    assert.equal(mergePatch(before, structuredClone(before)), undefined);
  });

  test('a changed field, a removed one (null) and an added one', () => {
    const after: Record<string, unknown> = { ...structuredClone(before), name: 'B', exclusive: true };
    delete after.priority;
    assert.deepEqual(mergePatch(before, after), { name: 'B', priority: null, exclusive: true });
  });

  test('lists are replaced whole, objects patched member by member', () => {
    const after = { ...structuredClone(before), effects: [{ type: 'award_points', points: 6 }], conditions: { gte: ['cart.amount', 200] } };
    assert.deepEqual(mergePatch(before, after), { effects: [{ type: 'award_points', points: 6 }], conditions: { gte: ['cart.amount', 200] } });
  });
});

describe('a rule document as the editor shows it', () => {
  test('short lists of plain values stay on one line, and it reads back the same', () => {
    const doc = { name: 'W', conditions: { in: ['time.weekday', [6, 7]] }, effects: [{ type: 'award_points', multiplier: 2 }], e: [], o: {} };
    const text = pretty(doc);
    assert.deepEqual(JSON.parse(text), doc);
    assert.match(text, /"in": \["time\.weekday", \[6, 7\]\]/);
    assert.match(text, /\n {2}"effects": \[\n {4}\{\n {6}"type": "award_points",/);
  });
});

describe('the values of a form', () => {
  const specs: Spec[] = [
    { path: 'name', label: 'Name', kind: 'text', required: true },
    { path: 'earn_rate.points', label: 'Points', kind: 'int' },
    { path: 'earn_rate.per_amount', label: 'Per amount', kind: 'money' },
    { path: 'value', label: 'Percent', kind: 'percent' },
    { path: 'stock', label: 'Stock', kind: 'int', nullable: true },
    { path: 'combines', label: 'Combines', kind: 'bool' },
    { path: 'skus', label: 'SKUs', kind: 'list' },
    { path: 'perks', label: 'Perks', kind: 'lines' },
    { path: 'conditions', label: 'Conditions', kind: 'json', nullable: true },
    { path: 'tiers.levels.1.name', label: 'Level', kind: 'text' },
  ];

  test('are shown as a person types them, in the currency\'s units, and read back the same', () => {
    const obj = {
      name: 'Club',
      earn_rate: { points: 3, per_amount: 2500 },
      value: 1250,
      stock: null,
      combines: true,
      skus: ['COF', 'TEA'],
      perks: ['Free shipping', 'Cake'],
      conditions: { gte: ['cart.amount', 500] },
      tiers: { levels: [{ name: 'Member' }, { name: 'Silver' }] },
    };
    const values = toValues(specs, obj, 'THB');
    assert.deepEqual(
      [values['earn_rate.per_amount'], values.value, values.stock, values.combines, values.skus, values.perks, values['tiers.levels.1.name']],
      ['25.00', '12.5', '', 'true', 'COF, TEA', 'Free shipping\nCake', 'Silver'],
    );
    const back = fromValues(specs, values, 'THB');
    assert.deepEqual(back.errors, {});
    assert.deepEqual(back.obj.earn_rate, { points: 3, per_amount: 2500 });
    assert.equal(back.obj.value, 1250);
    assert.equal(back.obj.stock, null);
    assert.deepEqual(back.obj.conditions, { gte: ['cart.amount', 500] });
    // A numbered part makes a list, as the API wants tiers.levels.
    assert.ok(Array.isArray((back.obj.tiers as { levels: unknown }).levels));
    assert.equal(toValues(specs, { earn_rate: { per_amount: 1250 } }, 'JPY')['earn_rate.per_amount'], '1250');
  });

  test('a value the form can judge is refused at its field, before any request', () => {
    const values = toValues(specs, {}, 'USD');
    Object.assign(values, { name: ' ', 'earn_rate.points': '1.5', 'earn_rate.per_amount': '12.345', value: '10.005', conditions: '{"a":' });
    const { errors } = fromValues(specs, values, 'USD');
    assert.deepEqual(Object.keys(errors).sort(), ['conditions', 'earn_rate.per_amount', 'earn_rate.points', 'name', 'value']);
    const fixed = fromValues(specs, { ...values, name: 'x', 'earn_rate.points': '+7', 'earn_rate.per_amount': '1', value: '5', conditions: '' }, 'USD');
    assert.deepEqual(fixed.errors, {});
    assert.deepEqual([fixed.obj.earn_rate, fixed.obj.value, fixed.obj.conditions], [{ points: 7, per_amount: 100 }, 500, null]);
  });

  test('only the fields that changed are patched', () => {
    const before = { name: 'Club', earn_rate: { points: 1, per_amount: 100 }, tiers: null };
    assert.deepEqual(changedFields(before, { name: 'Club', earn_rate: { points: 2, per_amount: 100 }, tiers: null }), { earn_rate: { points: 2, per_amount: 100 } });
  });
});
