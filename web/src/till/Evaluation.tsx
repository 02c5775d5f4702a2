// SPDX-License-Identifier: MIT
// What a cart earns and gets, as POST /v1/carts/evaluate answers it (and a purchase, which
// answers the same): the totals, the points and where they come from, the promotions applied,
// the stamps, the coupons, and the nudges ("1 more for a free one").
import { formatMoney, formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { reasonText } from './program';
import type { CartAnswer, RuleApplied } from './types';

function ruleGives(rule: RuleApplied, currency: string): string {
  const parts: string[] = [];
  if (rule.points !== 0) {
    parts.push(t('till.eval_rule_points', { points: formatNumber(rule.points) }));
  }
  if (rule.discount > 0) {
    parts.push(t('till.eval_rule_discount', { amount: formatMoney(rule.discount, currency) }));
  }
  if (rule.free_units > 0) {
    parts.push(t('till.eval_rule_free', { count: rule.free_units, units: formatNumber(rule.free_units) }));
  }
  if (rule.free_shipping) {
    parts.push(t('till.eval_free_shipping'));
  }
  return parts.join(' · ');
}

interface Props {
  answer: CartAnswer;
  currency: string;
  points?: number; // a purchase's points_earned (the same as the evaluation's points)
}

export function Evaluation({ answer, currency, points }: Props) {
  const paidWithPoints = answer.payments.filter((p) => p.method === 'points');
  return (
    <div class="till-eval">
      <p class="till-earn">
        <span class="till-earn-label">{t('till.eval_points')}</span>
        <span class="till-earn-value" data-testid="eval-points">
          {formatNumber(points ?? answer.points)}
        </span>
      </p>
      <dl class="till-totals">
        <div>
          <dt>{t('till.eval_amount')}</dt>
          <dd data-testid="eval-amount">{formatMoney(answer.amount, currency)}</dd>
        </div>
        {answer.discount > 0 && (
          <div>
            <dt>{t('till.eval_discount')}</dt>
            <dd data-testid="eval-discount">−{formatMoney(answer.discount, currency)}</dd>
          </div>
        )}
        <div class="till-total">
          <dt>{t('till.eval_to_pay')}</dt>
          <dd data-testid="eval-to-pay">{formatMoney(answer.to_pay, currency)}</dd>
        </div>
        {paidWithPoints.map((p, i) => (
          <div key={i}>
            <dt>{t('till.eval_paid_points', { points: formatNumber(p.points) })}</dt>
            <dd>−{formatMoney(p.amount, currency)}</dd>
          </div>
        ))}
        {paidWithPoints.length > 0 && (
          <div class="till-total">
            <dt>{t('till.eval_balance_due')}</dt>
            <dd>{formatMoney(answer.balance_due, currency)}</dd>
          </div>
        )}
      </dl>
      {answer.nudges.length > 0 && (
        <ul class="till-nudges" aria-label={t('till.eval_nudges')}>
          {answer.nudges.map((n, i) => (
            <li key={i} class="till-nudge">
              {n.text}
            </li>
          ))}
        </ul>
      )}
      <h3 class="till-subhead">{t('till.eval_breakdown')}</h3>
      <ul class="till-breakdown">
        <li>
          <span>{t('till.eval_base_points')}</span>
          <span>{formatNumber(answer.base_points)}</span>
        </li>
        {answer.tier_points !== 0 && (
          <li>
            <span>{t('till.eval_tier_points', { tier: answer.tier ?? '' })}</span>
            <span>{formatNumber(answer.tier_points)}</span>
          </li>
        )}
        {answer.rules.map((r) => (
          <li key={r.rule_id} class="till-rule">
            <span>{r.name}</span>
            <span>{ruleGives(r, currency)}</span>
          </li>
        ))}
        {answer.coupons
          .filter((c) => c.applied)
          .map((c) => (
            <li key={c.code}>
              <span>{c.name ?? c.code}</span>
              <span>{c.discount > 0 ? t('till.eval_rule_discount', { amount: formatMoney(c.discount, currency) }) : t('till.cart_coupon_applied')}</span>
            </li>
          ))}
        {answer.stamps.map((s) => (
          <li key={s.card_id}>
            <span>{s.name}</span>
            <span>{t('till.eval_stamps', { count: s.stamps, stamps: formatNumber(s.stamps) })}</span>
          </li>
        ))}
        {answer.cashback > 0 && (
          <li>
            <span>{t('till.eval_cashback')}</span>
            <span>{formatMoney(answer.cashback, currency)}</span>
          </li>
        )}
      </ul>
      {answer.rules.length === 0 && !answer.coupons.some((c) => c.applied) && (
        <p class="pt-hint">{t('till.eval_no_promotions')}</p>
      )}
      {answer.coupons
        .filter((c) => !c.applied)
        .map((c) => (
          <p key={c.code} class="pt-error">
            {t('till.eval_coupon_refused', { code: c.code, reason: reasonText(c.reason) ?? c.reason ?? '' })}
          </p>
        ))}
      {answer.messages.map((m, i) => (
        <p key={i} class="till-message">
          {m}
        </p>
      ))}
    </div>
  );
}
