// SPDX-License-Identifier: MIT
// The portal's sentences built from the API's numbers: points, what a tier or a reward still
// needs, how the program earns and what its rewards ask. Pure (no DOM): tests/portal-text.test.ts
// checks them.
import { locale, t } from '../lib/i18n';
import type { MessageKey } from '../lib/i18n';
import { formatDate, formatMoney, formatNumber } from '../lib/format';
import type { Balance, Coupon, Offer, PublicProgram, PublicStampCard, PublicTier, Reward } from './api';

export function points(n: number): string {
  return t('portal.points', { count: n, n: formatNumber(n) });
}

// A card number in groups of four, as printed on a card (the digits never change with the locale).
export function cardNumber(digits: string | undefined): string {
  return (digits ?? '').replace(/(\d{4})(?=\d)/g, '$1 ');
}

// A coupon's code as typed at a till: upper case, in groups of four.
export function couponCode(code: string): string {
  const plain = code.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  return plain.replace(/(.{4})(?=.)/g, '$1-');
}

// A tier's metric amount: points, money or purchases.
export function metricAmount(metric: PublicTier['metric'], value: number, currency: string): string {
  switch (metric) {
    case 'spend':
      return formatMoney(value, currency);
    case 'purchases':
      return t('portal.purchases_count', { count: value, n: formatNumber(value) });
    default:
      return points(value);
  }
}

// "Spend ฿120.00 more by 31 Mar 2027 to reach Gold".
export function tierMissing(
  metric: PublicTier['metric'],
  next: { name: string; missing: number; by?: string },
  currency: string,
  timeZone?: string,
): string {
  const by = next.by ? '_by' : '';
  const key = `portal.tier.missing_${metric === 'spend' ? 'spend' : metric === 'purchases' ? 'purchases' : 'points'}${by}` as MessageKey;
  return t(key, {
    amount: metricAmount(metric, next.missing, currency),
    count: next.missing,
    n: formatNumber(next.missing),
    tier: next.name,
    date: next.by ? formatDate(next.by, timeZone) : '',
  });
}

// "from 1,000 qualifying points" / "from ฿5,000.00 spent" / "from 10 purchases".
export function tierThreshold(tier: PublicTier, currency: string): string {
  if (tier.threshold === 0) {
    return t('portal.how.tier_first');
  }
  const key: MessageKey =
    tier.metric === 'spend'
      ? 'portal.how.tier_spend'
      : tier.metric === 'purchases'
        ? 'portal.how.tier_purchases'
        : 'portal.how.tier_points';
  return t(key, { amount: metricAmount(tier.metric, tier.threshold, currency), count: tier.threshold });
}

// "×1.5 points" when a tier earns more than the base rate; "" otherwise.
export function tierMultiplier(tier: PublicTier): string {
  const m = tier.earn_multiplier;
  if (m === undefined || m.denominator <= 0 || m.numerator <= m.denominator) {
    return '';
  }
  const ratio = new Intl.NumberFormat(locale(), { maximumFractionDigits: 2 }).format(m.numerator / m.denominator);
  return t('portal.how.tier_multiplier', { ratio });
}

// "Earn 1 point for every ฿25.00 you spend."
export function earnRate(program: PublicProgram): string {
  const { points: n, per_amount: per } = program.earn_rate;
  if (n <= 0) {
    return t('portal.how.earn_none');
  }
  return t('portal.how.earn_rate', { count: n, n: formatNumber(n), amount: formatMoney(per, program.currency) });
}

export function pointValue(program: PublicProgram): string | null {
  const v = program.point_value;
  if (v === undefined || v.amount <= 0 || v.points <= 0) {
    return null;
  }
  return t('portal.how.point_value', { count: v.points, n: formatNumber(v.points), amount: formatMoney(v.amount, program.currency) });
}

export function expiry(program: PublicProgram): string {
  if (program.expiry?.policy === 'rolling' && program.expiry.months) {
    return t('portal.how.expiry_rolling', { count: program.expiry.months, n: formatNumber(program.expiry.months) });
  }
  return t('portal.how.expiry_none');
}

// What completing a stamp card gives: points, or a catalog reward by name.
export function stampReward(reward: PublicStampCard['reward']): string {
  if (reward?.points) {
    return points(reward.points);
  }
  return reward?.name ?? t('portal.stamps.reward_unnamed');
}

export function stampCardRule(card: PublicStampCard): string {
  const per = card.stamps_per === 'item' ? t('portal.how.stamp_per_item') : t('portal.how.stamp_per_purchase');
  const text = t('portal.how.stamp_rule', {
    count: card.stamps_required,
    n: formatNumber(card.stamps_required),
    per,
    reward: stampReward(card.reward),
  });
  if (card.valid_days) {
    return `${text} ${t('portal.how.stamp_valid_days', { count: card.valid_days, n: formatNumber(card.valid_days) })}`;
  }
  return text;
}

// What a reward gives, in a few words ("฿50.00 off", "10% off", "a free product").
export function rewardGives(reward: Reward, currency: string): string | null {
  switch (reward.type) {
    case 'discount_amount':
      return reward.value ? t('portal.reward.gives_amount', { amount: formatMoney(reward.value, currency) }) : null;
    case 'discount_percent': {
      if (!reward.value) {
        return null;
      }
      const percent = new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 2 }).format(
        reward.value / 10000,
      );
      return t('portal.reward.gives_percent', { percent });
    }
    case 'free_product':
      return t('portal.reward.gives_product');
    case 'gift':
      return t('portal.reward.gives_gift');
    case 'partner_voucher':
      return t('portal.reward.gives_voucher');
    default:
      return null;
  }
}

// The conditions a reward or its coupon has, one sentence each.
export function rewardRules(reward: Reward, currency: string, timeZone?: string): string[] {
  const rules: string[] = [];
  if (reward.tiers && reward.tiers.length > 0) {
    rules.push(t('portal.reward.rule_tiers', { tiers: list(reward.tiers) }));
  }
  if (reward.min_amount) {
    rules.push(t('portal.reward.rule_min_amount', { amount: formatMoney(reward.min_amount, currency) }));
  }
  const on = [...(reward.skus ?? []), ...(reward.categories ?? [])];
  if (on.length > 0) {
    rules.push(t('portal.reward.rule_products', { products: list(on) }));
  }
  if (reward.coupon_valid_days) {
    rules.push(
      t('portal.reward.rule_coupon_days', { count: reward.coupon_valid_days, n: formatNumber(reward.coupon_valid_days) }),
    );
  }
  if (reward.valid_to) {
    rules.push(t('portal.reward.rule_until', { date: formatDate(reward.valid_to, timeZone) }));
  }
  return rules;
}

// Why a reward the member cannot redeem is out of reach.
export function rewardReason(reward: Reward): string | null {
  switch (reward.reason) {
    case null:
    case undefined:
      return null;
    case 'out_of_stock':
      return t('portal.reward.reason_out_of_stock');
    case 'member_limit_reached':
      return t('portal.reward.reason_limit');
    case 'not_eligible':
      return reward.tiers && reward.tiers.length > 0
        ? t('portal.reward.rule_tiers', { tiers: list(reward.tiers) })
        : t('portal.reward.reason_not_eligible');
    default:
      return t('portal.reward.reason_unavailable');
  }
}

// An offer's dates: "Until 31 Dec 2026", "From 1 Jan 2027", "1 Jan – 31 Jan 2027" or null.
export function offerDates(offer: Offer, timeZone?: string): string | null {
  const to = offer.valid_to ?? offer.valid_until ?? null;
  const from = offer.valid_from ?? null;
  const started = from === null || new Date(from).getTime() <= Date.now();
  if (!started && to !== null) {
    return t('portal.offers.between', { from: formatDate(from!, timeZone), to: formatDate(to, timeZone) });
  }
  if (!started) {
    return t('portal.offers.from', { date: formatDate(from!, timeZone) });
  }
  if (to !== null) {
    return t('portal.offers.until', { date: formatDate(to, timeZone) });
  }
  return null;
}

export type CouponState = 'active' | 'redeemed' | 'expired' | 'cancelled';

export function couponState(coupon: Coupon): CouponState {
  return coupon.status === 'issued' ? 'active' : coupon.status;
}

export function couponName(coupon: Coupon): string {
  return coupon.reward?.name ?? coupon.reward_name ?? t('portal.coupons.unnamed');
}

export function couponExpiry(coupon: Coupon): string | null {
  return coupon.expires_at ?? coupon.valid_until ?? null;
}

// The ledger's entry types in words.
const LEDGER: Record<string, MessageKey> = {
  earn: 'portal.ledger.earn',
  return: 'portal.ledger.return',
  redeem: 'portal.ledger.redeem',
  redeem_cancel: 'portal.ledger.redeem_cancel',
  adjust: 'portal.ledger.adjust',
  transfer_in: 'portal.ledger.transfer_in',
  transfer_out: 'portal.ledger.transfer_out',
  expire: 'portal.ledger.expire',
  enrollment: 'portal.ledger.enrollment',
  birthday: 'portal.ledger.birthday',
  activity: 'portal.ledger.activity',
  stamp_reward: 'portal.ledger.stamp_reward',
  stamp_reward_return: 'portal.ledger.stamp_reward_return',
  coupon_refund: 'portal.ledger.coupon_refund',
  points_payment: 'portal.ledger.points_payment',
  points_payment_refund: 'portal.ledger.points_payment_refund',
  referral: 'portal.ledger.referral',
  referral_return: 'portal.ledger.referral_return',
};

export function ledgerType(type: string): string {
  const key = LEDGER[type];
  return key === undefined ? type : t(key);
}

// "+120" / "−40" with the locale's digits and a true minus sign.
export function signedPoints(n: number): string {
  const text = formatNumber(Math.abs(n));
  return n > 0 ? `+${text}` : n < 0 ? `−${text}` : text;
}

// A list in the reader's language ("a, b and c").
export function list(items: string[]): string {
  try {
    return new Intl.ListFormat(locale(), { style: 'long', type: 'conjunction' }).format(items);
  } catch {
    return items.join(', ');
  }
}

// The lots that expire on one day (as the member reads days) make one line.
export function expiringByDay(
  lots: Balance['expiring'],
  timeZone?: string,
): { date: string; points: number }[] {
  const days: { date: string; points: number }[] = [];
  for (const lot of lots) {
    const date = formatDate(lot.expires_at, timeZone);
    const last = days[days.length - 1];
    if (last !== undefined && last.date === date) {
      last.points += lot.points;
    } else {
      days.push({ date, points: lot.points });
    }
  }
  return days;
}
