// SPDX-License-Identifier: MIT
// What the portal's browser tests set up through the API with the admin key `patron init`
// printed: a program with an earn rate, exclusions, expiry, tiers, rewards, a stamp card and a
// public offer; purchases; a staff key for the till's side.
import assert from 'node:assert/strict';

export interface Api {
  url: string;
  key: string;
}

export async function call<T = Record<string, unknown>>(
  api: Api,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T }> {
  const response = await fetch(api.url + path, {
    method,
    headers: {
      Authorization: `Bearer ${api.key}`,
      'Content-Type': 'application/json',
      'Idempotency-Key': crypto.randomUUID(),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: (text === '' ? {} : JSON.parse(text)) as T };
}

export async function must<T = Record<string, unknown>>(
  api: Api,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const r = await call<T>(api, method, path, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

export const REWARDS = {
  espresso: {
    name: 'Free espresso',
    type: 'free_product',
    sku: 'ESP',
    cost_points: 100,
    coupon_valid_days: 30,
    description: 'One espresso, any size.',
    terms: 'One per visit.',
  },
  tenOff: {
    name: '10% off your basket',
    type: 'discount_percent',
    value: 1000,
    cost_points: 500,
    coupon_valid_days: 14,
    min_amount: 2000,
    description: 'Ten percent off a basket of 20.00 or more.',
  },
  goldGift: {
    name: 'Gold welcome gift',
    type: 'gift',
    cost_points: 50,
    tiers: ['Gold'],
    description: 'A tote bag for our Gold members.',
  },
};

export interface Seeded {
  rewards: Record<keyof typeof REWARDS, string>;
  offerName: string;
  publicRules: boolean; // the server knows rules' public and description fields
}

// The demo program the screens show: 1 point per 1.00, tobacco excluded, points expire after 12
// months, three tiers by spend, three rewards, a coffee stamp card and a public weekend offer.
export async function seedProgram(api: Api): Promise<Seeded> {
  await must(api, 'PATCH', '/v1/program', {
    name: 'Corner Café',
    earn_rate: { points: 1, per_amount: 100 },
    excluded_categories: ['tobacco', 'gift-cards'],
    expiry: { policy: 'rolling', months: 12 },
    tiers: {
      metric: 'spend',
      window: { rolling_months: 12 },
      retain: false,
      levels: [
        { name: 'Member', threshold: 0 },
        {
          name: 'Silver',
          threshold: 50000,
          earn_multiplier: { numerator: 5, denominator: 4 },
          perks: ['Free shipping', 'Birthday gift'],
        },
        { name: 'Gold', threshold: 100000, earn_multiplier: { numerator: 3, denominator: 2 }, perks: ['Free coffee refills'] },
      ],
    },
  });
  const ids = {} as Record<keyof typeof REWARDS, string>;
  for (const [key, body] of Object.entries(REWARDS) as [keyof typeof REWARDS, object][]) {
    ids[key] = (await must<{ id: string }>(api, 'POST', '/v1/rewards', body)).id;
  }
  await must(api, 'POST', '/v1/stamp-cards', {
    name: 'Coffee card',
    stamps_required: 8,
    stamps_per: 'purchase',
    reward: { reward_id: ids.espresso },
  });
  const offerName = 'Double points at weekends';
  const rule = await call<{ id: string }>(api, 'POST', '/v1/rules', {
    name: offerName,
    trigger: 'purchase',
    public: true,
    description: 'Every purchase on Saturday or Sunday earns twice the points.',
    conditions: { in: ['time.weekday', [6, 7]] },
    effects: [{ type: 'award_points', multiplier: 2 }],
  });
  const publicRules = !(rule.status === 400 || rule.status === 422);
  if (!publicRules) {
    // A server without rules' public/description fields (issue 19's public branch).
    const plain = await must<{ id: string }>(api, 'POST', '/v1/rules', {
      name: offerName,
      trigger: 'purchase',
      conditions: { in: ['time.weekday', [6, 7]] },
      effects: [{ type: 'award_points', multiplier: 2 }],
    });
    await must(api, 'POST', `/v1/rules/${plain.id}/activate`);
  } else {
    assert.equal(rule.status, 201, JSON.stringify(rule.json));
    await must(api, 'POST', `/v1/rules/${rule.json.id}/activate`);
  }
  return { rewards: ids, offerName, publicRules };
}

let receipt = 0;

// A purchase of amount minor units recorded for the member (as the till system would).
export async function purchase(api: Api, memberId: string, amount: number): Promise<{ points_earned: number }> {
  receipt += 1;
  return must(api, 'POST', '/v1/transactions', {
    external_id: `portal-test-${Date.now()}-${receipt}`,
    member_id: memberId,
    currency: 'USD',
    amount,
  });
}

// A staff API key, to redeem a coupon as the till does.
export async function staffKey(api: Api): Promise<Api> {
  const key = await must<{ key?: string; secret?: string; api_key?: string }>(api, 'POST', '/v1/api-keys', {
    name: 'Till',
    role: 'staff',
  });
  const secret = key.key ?? key.secret ?? key.api_key;
  assert.ok(secret, `no key in ${JSON.stringify(key)}`);
  return { url: api.url, key: secret };
}
