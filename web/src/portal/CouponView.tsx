// SPDX-License-Identifier: MIT
// A coupon's code full screen, as QR code and barcode for the cashier. While it shows and the
// coupon is still to be used, the page asks the server every few seconds (GET /v1/coupons/{code})
// and turns to "used" as soon as the till has redeemed it; it stops asking when it is closed,
// when the page is hidden (another app, the screen off) and once the coupon is used.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../lib/api';
import { useLocale } from '../lib/components';
import { formatDate, formatDateTime } from '../lib/format';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import type { Coupon } from './api';
import { pictures, portalApi } from './api';
import { Fullscreen } from './Fullscreen';
import { href } from './routes';
import { LoadError, Spinner } from './Shell';
import { portalError, usePortal } from './state';
import { couponCode, couponExpiry, couponName, couponState } from './text';

export const POLL_MS = 3000;

// The coupon, kept fresh while it may still change at the till.
function useLiveCoupon(code: string): { coupon: Coupon | null; error: unknown } {
  const { setSession } = usePortal();
  const [coupon, setCoupon] = useState<Coupon | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let timer: number | undefined;
    let controller: AbortController | null = null;
    let done = false;
    const stop = () => {
      window.clearTimeout(timer);
      timer = undefined;
      controller?.abort();
      controller = null;
    };
    const ask = async () => {
      stop();
      controller = new AbortController();
      try {
        const fresh = await portalApi.coupon(code, controller.signal);
        setCoupon(fresh);
        setError(null);
        done = couponState(fresh) !== 'active';
      } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') {
          return;
        }
        if (e instanceof ApiError && e.status === 401) {
          setSession(null);
        }
        setError(e);
        // Not found or refused will not change by asking again; a network failure may.
        done = e instanceof ApiError && e.status !== 0 && e.status < 500 && e.status !== 429;
      }
      controller = null;
      if (!done && document.visibilityState === 'visible') {
        timer = window.setTimeout(() => void ask(), POLL_MS);
      }
    };
    const visibility = () => {
      if (document.visibilityState === 'visible') {
        if (!done) {
          void ask();
        }
      } else {
        stop();
      }
    };
    void ask();
    document.addEventListener('visibilitychange', visibility);
    return () => {
      done = true;
      stop();
      document.removeEventListener('visibilitychange', visibility);
    };
  }, [code, setSession]);
  return { coupon, error };
}

export function CouponView({ code }: { code: string }) {
  useLocale();
  const { program } = usePortal();
  const { coupon, error } = useLiveCoupon(code);
  const shown = couponCode(code);
  if (coupon === null) {
    return (
      <Fullscreen title={t('portal.coupon.title')} closeTo="coupons">
        {error ? <LoadError error={error} /> : <Spinner />}
        {error !== null && (
          <p>
            <Link href={href('coupons')}>{t('portal.coupon.back')}</Link>
          </p>
        )}
      </Fullscreen>
    );
  }
  const state = couponState(coupon);
  const expires = couponExpiry(coupon);
  const tone = state === 'redeemed' ? 'used' : state === 'active' ? undefined : 'void';
  return (
    <Fullscreen title={couponName(coupon)} closeTo="coupons" tone={tone}>
      <div class="pp-coupon-status" role="status" aria-live="assertive" data-testid="coupon-status" data-state={state}>
        {state === 'active' && <p class="pp-fullscreen-lead">{t('portal.coupon.show')}</p>}
        {state === 'redeemed' && (
          <>
            <p class="pp-used-mark" aria-hidden="true">
              ✓
            </p>
            <p class="pp-used-title">{t('portal.coupon.used')}</p>
            {coupon.redeemed_at && (
              <p>
                {coupon.location
                  ? t('portal.coupon.used_at_where', {
                      when: formatDateTime(coupon.redeemed_at, program?.time_zone),
                      where: coupon.location,
                    })
                  : t('portal.coupon.used_at', { when: formatDateTime(coupon.redeemed_at, program?.time_zone) })}
              </p>
            )}
          </>
        )}
        {state === 'expired' && <p class="pp-used-title">{t('portal.coupon.expired')}</p>}
        {state === 'cancelled' && <p class="pp-used-title">{t('portal.coupon.cancelled')}</p>}
      </div>
      {state === 'active' && (
        <>
          <img class="pp-big-qr" src={pictures.couponQr(code)} alt={t('portal.coupon.qr_alt', { code: shown })} />
          <img class="pp-big-barcode" src={pictures.couponBarcode(code)} alt={t('portal.coupon.barcode_alt', { code: shown })} />
        </>
      )}
      <p class={state === 'active' ? 'pp-big-code' : 'pp-big-code pp-code-void'} data-testid="coupon-code">
        {shown}
      </p>
      {state === 'active' && expires && (
        <p class="pp-fullscreen-who">{t('portal.coupon.valid_until', { date: formatDate(expires, program?.time_zone) })}</p>
      )}
      {error !== null && <p class="pt-hint">{portalError(error)}</p>}
    </Fullscreen>
  );
}
