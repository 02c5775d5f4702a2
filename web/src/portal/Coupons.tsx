// SPDX-License-Identifier: MIT
// My coupons (GET /v1/members/{id}/coupons): the ones ready to use first, each opening its code
// full screen; then the used, expired and cancelled ones.
import { Card } from '../lib/components';
import { formatDate } from '../lib/format';
import { t } from '../lib/i18n';
import type { MessageKey } from '../lib/i18n';
import { Link } from '../lib/router';
import type { Coupon } from './api';
import { portalApi } from './api';
import { href } from './routes';
import { LoadError, MoreButton, Shell, Spinner } from './Shell';
import { useMember, usePaged, usePortal } from './state';
import { couponCode, couponExpiry, couponName, couponState } from './text';

const STATE: Record<string, MessageKey> = {
  active: 'portal.coupons.state_active',
  redeemed: 'portal.coupons.state_redeemed',
  expired: 'portal.coupons.state_expired',
  cancelled: 'portal.coupons.state_cancelled',
};

function CouponItem({ coupon }: { coupon: Coupon }) {
  const { program } = usePortal();
  const state = couponState(coupon);
  const expires = couponExpiry(coupon);
  const when =
    state === 'redeemed' && coupon.redeemed_at
      ? t('portal.coupons.used_on', { date: formatDate(coupon.redeemed_at, program?.time_zone) })
      : state === 'active' && expires
        ? t('portal.coupon.valid_until', { date: formatDate(expires, program?.time_zone) })
        : null;
  return (
    <li class={`pp-coupon pp-coupon-${state}`} data-code={coupon.code}>
      <div class="pp-reward-head">
        <h3>{couponName(coupon)}</h3>
        <span class={state === 'active' ? 'pp-badge pp-badge-ok' : 'pp-badge pp-badge-off'}>{t(STATE[state] ?? 'portal.coupons.state_cancelled')}</span>
      </div>
      <p class="pp-code">{couponCode(coupon.code)}</p>
      {when && <p class="pt-hint">{when}</p>}
      {state === 'active' && (
        <Link class="pt-button pt-button-primary" href={href(`coupons/${encodeURIComponent(coupon.code)}`)}>
          {t('portal.coupons.show')}
        </Link>
      )}
    </li>
  );
}

export function Coupons() {
  const { member } = useMember();
  const coupons = usePaged((cursor) => portalApi.coupons(member.id, cursor), [member.id]);
  const ready = coupons.items.filter((c) => couponState(c) === 'active');
  const past = coupons.items.filter((c) => couponState(c) !== 'active');
  return (
    <Shell title={t('portal.nav.coupons')}>
      <h1>{t('portal.coupons.title')}</h1>
      {coupons.error ? (
        <LoadError error={coupons.error} retry={coupons.reload} />
      ) : coupons.loading ? (
        <Spinner />
      ) : (
        <>
          <Card title={t('portal.coupons.ready')}>
            {ready.length === 0 ? (
              <p>
                {t('portal.coupons.none_ready')} <Link href={href('rewards')}>{t('portal.home.see_rewards')}</Link>
              </p>
            ) : (
              <ul class="pp-coupons">
                {ready.map((c) => (
                  <CouponItem key={c.code} coupon={c} />
                ))}
              </ul>
            )}
          </Card>
          {past.length > 0 && (
            <Card title={t('portal.coupons.past')}>
              <ul class="pp-coupons">
                {past.map((c) => (
                  <CouponItem key={c.code} coupon={c} />
                ))}
              </ul>
            </Card>
          )}
          <MoreButton paged={coupons} />
        </>
      )}
    </Shell>
  );
}
