// SPDX-License-Identifier: MIT
// The portal's sentences built from the API's numbers (src/portal/text.ts), in English, Thai and
// Ukrainian (whose plurals have more forms). No browser needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setLocale } from '../src/lib/i18n';
import type { PublicProgram, Reward } from '../src/portal/api';
import {
  cardNumber,
  couponCode,
  earnRate,
  expiringByDay,
  expiry,
  offerDates,
  pointValue,
  points,
  rewardGives,
  rewardReason,
  rewardRules,
  signedPoints,
  stampCardRule,
  tierMissing,
  tierMultiplier,
  tierThreshold,
} from '../src/portal/text';

const PROGRAM: PublicProgram = {
  id: 'prg_1',
  name: 'Corner Café',
  currency: 'USD',
  time_zone: 'UTC',
  enrollment: 'open',
  earn_rate: { points: 1, per_amount: 100 },
  point_value: { amount: 1, points: 1 },
  excluded_categories: ['tobacco'],
  expiry: { policy: 'rolling', months: 12 },
  tiers: [],
  stamp_cards: [],
  rewards: [],
  offers: [],
};

test('card numbers and coupon codes in groups', () => {
  assert.equal(cardNumber('4089888860005754'), '4089 8888 6000 5754');
  assert.equal(couponCode('k7qf9xz2m4tdp'), 'K7QF-9XZ2-M4TD-P');
  assert.equal(couponCode('K7QF-9XZ2-M4TD-P'), 'K7QF-9XZ2-M4TD-P');
});

test('points and what is missing, in English', async () => {
  await setLocale('en');
  assert.equal(points(1), '1 point');
  assert.equal(points(1250), '1,250 points');
  assert.equal(signedPoints(120), '+120');
  assert.equal(signedPoints(-40), '−40');
  assert.equal(
    tierMissing('spend', { name: 'Gold', missing: 12000, by: '2027-03-31' }, 'USD', 'UTC'),
    'Spend $120.00 more by Mar 31, 2027 to reach Gold.',
  );
  assert.equal(tierMissing('qualifying_points', { name: 'Silver', missing: 1 }, 'USD'), 'Collect 1 point more to reach Silver.');
  assert.equal(tierMissing('purchases', { name: 'Silver', missing: 3 }, 'USD'), 'Make 3 more purchases to reach Silver.');
  assert.equal(earnRate(PROGRAM), 'Earn 1 point for every $1.00 you spend.');
  assert.equal(earnRate({ ...PROGRAM, earn_rate: { points: 5, per_amount: 2500 } }), 'Earn 5 points for every $25.00 you spend.');
  assert.equal(expiry(PROGRAM), 'Points expire 12 months after you earn them.');
  assert.equal(expiry({ ...PROGRAM, expiry: { policy: 'none' } }), 'Your points do not expire.');
  assert.equal(pointValue(PROGRAM), '1 point is worth $0.01.');
  assert.equal(pointValue({ ...PROGRAM, point_value: { amount: 0, points: 1 } }), null);
});

test('tiers, stamp cards and rewards described', async () => {
  await setLocale('en');
  const silver = { id: 'Silver', name: 'Silver', metric: 'spend' as const, threshold: 50000, benefits: [], earn_multiplier: { numerator: 5, denominator: 4 } };
  assert.equal(tierThreshold(silver, 'USD'), 'From $500.00 spent');
  assert.equal(tierThreshold({ ...silver, threshold: 0 }, 'USD'), 'Where every member starts');
  assert.equal(tierMultiplier(silver), '×1.25 points on every purchase');
  assert.equal(tierMultiplier({ ...silver, earn_multiplier: { numerator: 1, denominator: 1 } }), '');
  assert.equal(
    stampCardRule({ id: 'c', name: 'Coffee', stamps_required: 8, stamps_per: 'purchase', valid_days: 90, reward: { name: 'Free espresso' } }),
    'collect 8 stamps (one per purchase) and get Free espresso. A card is open 90 days from its first stamp.',
  );
  const reward: Reward = {
    id: 'r',
    name: '10% off',
    type: 'discount_percent',
    value: 1000,
    cost_points: 500,
    tiers: ['Gold', 'Platinum'],
    min_amount: 2000,
    coupon_valid_days: 1,
    skus: [],
    categories: ['coffee'],
  };
  assert.equal(rewardGives(reward, 'USD'), '10% off');
  assert.equal(rewardGives({ ...reward, type: 'discount_amount', value: 500 }, 'USD'), '$5.00 off');
  assert.deepEqual(rewardRules(reward, 'USD'), [
    'For Gold and Platinum members.',
    'For a purchase of at least $20.00.',
    'On: coffee.',
    'The coupon is valid 1 day after you redeem it.',
  ]);
  assert.equal(rewardReason({ ...reward, reason: 'not_eligible' }), 'For Gold and Platinum members.');
  assert.equal(rewardReason({ ...reward, reason: 'out_of_stock' }), 'Out of stock');
  assert.equal(rewardReason({ ...reward, reason: null }), null);
});

test('offer dates and expiring lots by day', async () => {
  await setLocale('en');
  assert.equal(offerDates({ id: 'o', name: 'x', valid_to: '2099-01-31T12:00:00Z' }, 'UTC'), 'Until Jan 31, 2099');
  assert.equal(offerDates({ id: 'o', name: 'x', valid_from: '2099-01-01T12:00:00Z' }, 'UTC'), 'From Jan 1, 2099');
  assert.equal(offerDates({ id: 'o', name: 'x' }, 'UTC'), null);
  assert.deepEqual(
    expiringByDay(
      [
        { expires_at: '2027-12-07T10:00:00Z', points: 200 },
        { expires_at: '2027-12-07T18:00:00Z', points: 45 },
        { expires_at: '2028-01-02T10:00:00Z', points: 5 },
      ],
      'UTC',
    ),
    [
      { date: 'Dec 7, 2027', points: 245 },
      { date: 'Jan 2, 2028', points: 5 },
    ],
  );
});

test('Thai and Ukrainian', async () => {
  await setLocale('th');
  assert.equal(points(1250), '1,250 คะแนน');
  assert.equal(earnRate(PROGRAM), 'รับ 1 คะแนนทุกการใช้จ่าย US$1.00');
  await setLocale('uk');
  assert.equal(points(1).replace(/\s/g, ' '), '1 бал');
  assert.equal(points(3), '3 бали');
  assert.equal(points(5), '5 балів');
  assert.equal(points(21), '21 бал');
  assert.equal(expiry(PROGRAM), 'Бали згорають через 12 місяців після нарахування.');
  await setLocale('en');
});
