// SPDX-License-Identifier: MIT
// A coupon at the counter: scanned off the member's phone or typed, verified without changing
// it (GET /v1/coupons/{code}: what it gives, for whom, until when, its state), then redeemed
// once (POST /v1/coupons/{code}/redeem). A second redemption is refused by the server, and the
// screen says so with the server's reason (when and where it was used).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Alert, Button, Card } from '../lib/components';
import { formatDateTime, formatMoney, formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { MAX_COUPONS } from './cart';
import { canonicalCoupon, classify, formatCardNumber, printCoupon } from './codes';
import { memberName } from './MemberPanel';
import { reasonText, refusal } from './program';
import { ScanButton } from './Scanner';
import type { TillState } from './Till';
import { go } from './Till';
import type { Coupon } from './types';

type Shown =
  | { state: 'idle' }
  | { state: 'busy' }
  | { state: 'verified'; coupon: Coupon }
  | { state: 'failed'; text: string; detail?: string };

// What the coupon gives, in words: the reward's name and its kind (an amount off, a percent
// off, a product free).
function gives(coupon: Coupon, currency: string | undefined): string {
  const what = coupon.reward ?? coupon.discount ?? null;
  const name = coupon.reward?.name;
  let kind = '';
  if (what?.type === 'discount_amount' && what.value !== undefined && currency !== undefined) {
    kind = t('till.coupon_gives_amount', { amount: formatMoney(what.value, currency) });
  } else if (what?.type === 'discount_percent' && what.value !== undefined) {
    kind = t('till.coupon_gives_percent', { percent: formatNumber(what.value / 100) });
  } else if (what?.type === 'free_product') {
    kind = t('till.coupon_gives_product', { sku: what.sku ?? '' });
  } else if (what?.type === 'gift') {
    kind = t('till.coupon_gives_gift');
  }
  return [name, kind].filter((s) => s !== undefined && s !== '').join(' — ') || '—';
}

function statusText(coupon: Coupon): string {
  if (coupon.kind === 'promo_code') {
    return coupon.valid ? t('till.coupon_status.active') : (reasonText(coupon.reason) ?? t('till.coupon_invalid'));
  }
  if (coupon.status !== undefined) {
    return t(`till.coupon_status.${coupon.status}`);
  }
  return coupon.valid ? t('till.coupon_status.active') : t('till.coupon_invalid');
}

export function Coupons({ state }: { state: TillState }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [shown, setShown] = useState<Shown>({ state: 'idle' });
  const [redeeming, setRedeeming] = useState(false);
  const [redeemed, setRedeemed] = useState<Coupon | null>(null);
  const [refused, setRefused] = useState<{ text: string; detail?: string } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const tz = state.program?.time_zone;

  const verify = async (text: string) => {
    const typed = text.trim();
    if (typed === '') {
      setError(t('common.required'));
      input.current?.focus();
      return;
    }
    const canonical = canonicalCoupon(typed);
    const value = canonical !== null ? printCoupon(canonical) : typed;
    setCode(value);
    setError(undefined);
    setRedeemed(null);
    setRefused(null);
    setShown({ state: 'busy' });
    try {
      const coupon = await api.get<Coupon>(`/v1/coupons/${encodeURIComponent(value)}`);
      setShown({ state: 'verified', coupon });
    } catch (e) {
      const r = refusal(e);
      setShown({ state: 'failed', text: r.text, detail: r.detail });
    }
  };

  const redeem = async (coupon: Coupon) => {
    setRedeeming(true);
    setRefused(null);
    try {
      const body = state.member !== null ? { member_id: state.member.id } : {};
      const done = await api.post<Coupon>(`/v1/coupons/${encodeURIComponent(coupon.code)}/redeem`, body);
      setRedeemed(done);
      setShown({ state: 'verified', coupon: done });
    } catch (e) {
      setRefused(refusal(e));
    } finally {
      setRedeeming(false);
    }
  };

  // A code scanned elsewhere (or typed in the member search) lands here.
  useEffect(() => {
    if (state.code?.kind === 'coupon') {
      const value = state.code.value;
      state.setCode(null);
      void verify(value);
    }
  }, [state.code]);

  useEffect(() => input.current?.focus(), []);

  const coupon = shown.state === 'verified' ? shown.coupon : null;
  const member = coupon?.member ?? null;
  // The coupon this cashier has just redeemed is a success, not a refusal: shown green, as
  // redeemed now, not red as "already used" (which is for a code used before it was shown).
  const ok = coupon !== null && (coupon.valid || redeemed !== null);
  const inCart = coupon !== null && state.cart.coupons.some((c) => canonicalCoupon(c) === canonicalCoupon(coupon.code));

  return (
    <>
      <h1>{t('till.coupons_title')}</h1>
      <Card>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void verify(code);
          }}
        >
          <div class={error ? 'pt-field pt-field-invalid' : 'pt-field'}>
            <label for="till-coupon">{t('till.coupon_label')}</label>
            <p class="pt-hint" id="till-coupon-hint">
              {t('till.coupon_hint')}
            </p>
            <div class="till-inline">
              <input
                ref={input}
                id="till-coupon"
                name="coupon"
                autocomplete="off"
                autocapitalize="characters"
                spellcheck={false}
                value={code}
                onInput={(e) => setCode(e.currentTarget.value)}
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={error ? 'till-coupon-hint till-coupon-error' : 'till-coupon-hint'}
              />
              <Button type="submit" busy={shown.state === 'busy'}>
                {t('till.coupon_verify')}
              </Button>
            </div>
            {error && (
              <p class="pt-error" id="till-coupon-error">
                {error}
              </p>
            )}
          </div>
          <ScanButton
            title={t('till.scan_coupon_title')}
            onCode={(text) => {
              const c = classify(text);
              void verify(c.kind === 'coupon' ? c.value : text);
            }}
          />
        </form>
      </Card>
      <div aria-live="polite">
        {shown.state === 'failed' && (
          <Alert>
            {shown.text}
            {shown.detail && <span class="till-detail">{shown.detail}</span>}
          </Alert>
        )}
        {coupon !== null && (
          <section
            class={`pt-card till-coupon ${ok ? 'till-coupon-valid' : 'till-coupon-invalid'}`}
            aria-labelledby="till-coupon-title"
          >
            <h2 id="till-coupon-title">
              <span class="till-code">{coupon.code}</span>
            </h2>
            <p class={`till-badge ${ok ? 'till-badge-ok' : 'till-badge-no'}`} data-testid="coupon-status">
              {redeemed !== null ? t('till.coupon_status.done') : statusText(coupon)}
            </p>
            <dl class="till-props">
              <div>
                <dt>{t('till.coupon_gives')}</dt>
                <dd>{gives(coupon, state.program?.currency)}</dd>
              </div>
              <div>
                <dt>{t('till.coupon_for')}</dt>
                <dd>
                  {member !== null
                    ? `${memberName(member)} · ${formatCardNumber(member.card_number)}`
                    : t('till.coupon_for_anyone')}
                </dd>
              </div>
              {(coupon.expires_at ?? coupon.valid_to) && (
                <div>
                  <dt>{t('till.coupon_until')}</dt>
                  <dd>{formatDateTime((coupon.expires_at ?? coupon.valid_to)!, tz)}</dd>
                </div>
              )}
              {coupon.redeemed_at && (
                <div>
                  <dt>{t('till.coupon_redeemed_at')}</dt>
                  <dd>
                    {formatDateTime(coupon.redeemed_at, tz)}
                    {coupon.location ? ` · ${coupon.location}` : ''}
                  </dd>
                </div>
              )}
              {coupon.kind === 'promo_code' && coupon.uses_per_code !== undefined && (
                <div>
                  <dt>{t('till.coupon_uses')}</dt>
                  <dd>
                    {formatNumber(coupon.uses ?? 0)} / {formatNumber(coupon.uses_per_code)}
                  </dd>
                </div>
              )}
            </dl>
            {redeemed !== null && (
              <p class="till-success" role="status">
                {t('till.coupon_redeemed')}
              </p>
            )}
            {refused !== null && (
              <Alert>
                <strong>{t('till.coupon_refused')}</strong> {refused.text}
                {refused.detail && <span class="till-detail">{refused.detail}</span>}
              </Alert>
            )}
            {!state.readOnly && redeemed === null && (
              <div class="till-actions">
                <Button busy={redeeming} onClick={() => void redeem(coupon)}>
                  {redeeming ? t('till.coupon_redeeming') : t('till.coupon_redeem')}
                </Button>
                {state.member !== null && coupon.valid && !inCart && state.cart.coupons.length < MAX_COUPONS && (
                  <Button
                    variant="secondary"
                    onClick={() => {
                      state.setCart({ ...state.cart, coupons: [...state.cart.coupons, coupon.code] });
                      go('sale');
                    }}
                  >
                    {t('till.coupon_use_in_sale', { name: memberName(state.member) })}
                  </Button>
                )}
              </div>
            )}
          </section>
        )}
      </div>
    </>
  );
}
