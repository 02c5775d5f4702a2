// SPDX-License-Identifier: MIT
// History: the member's points (the ledger, newest first, page by page) and purchases
// (GET /v1/members/{id}/purchases; the tab is left out when the server does not answer it).
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from '../lib/api';
import { Card } from '../lib/components';
import { formatDateTime, formatMoney, formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import type { LedgerEntry, Purchase } from './api';
import { portalApi } from './api';
import { LoadError, MoreButton, Shell, Spinner } from './Shell';
import { usePaged, useMember, usePortal } from './state';
import { ledgerType, points, signedPoints } from './text';

function LedgerList() {
  const { member } = useMember();
  const { program } = usePortal();
  const ledger = usePaged((cursor) => portalApi.ledger(member.id, cursor), [member.id]);
  if (ledger.error) {
    return <LoadError error={ledger.error} retry={ledger.reload} />;
  }
  if (ledger.loading) {
    return <Spinner />;
  }
  return (
    <>
      {ledger.items.length === 0 ? (
        <Card>
          <p>{t('portal.history.empty')}</p>
        </Card>
      ) : (
        <ol class="pp-history" aria-label={t('portal.history.points')}>
          {ledger.items.map((entry: LedgerEntry) => (
            <li key={entry.id} class="pp-history-row" data-type={entry.type}>
              <div>
                <p class="pp-history-what">{ledgerType(entry.type)}</p>
                {entry.reason && <p class="pp-history-note">{entry.reason}</p>}
                <p class="pp-history-when">
                  <time dateTime={entry.created_at}>{formatDateTime(entry.created_at, program?.time_zone)}</time>
                </p>
              </div>
              <div class="pp-history-points">
                <p class={entry.points >= 0 ? 'pp-plus' : 'pp-minus'}>
                  <span class="pp-visually-hidden">{points(entry.points)}</span>
                  <span aria-hidden="true">{signedPoints(entry.points)}</span>
                </p>
                <p class="pp-history-note">{t('portal.history.balance_after', { n: formatNumber(entry.balance_after) })}</p>
              </div>
            </li>
          ))}
        </ol>
      )}
      <MoreButton paged={ledger} />
    </>
  );
}

function PurchaseList({ onMissing }: { onMissing: () => void }) {
  const { member } = useMember();
  const { program } = usePortal();
  const purchases = usePaged((cursor) => portalApi.purchases(member.id, cursor), [member.id]);
  const currency = program?.currency ?? 'USD';
  const e = purchases.error;
  // A server without the route (or that keeps it from members) answers 404/403/405.
  const missing = e instanceof ApiError && (e.status === 404 || e.status === 403 || e.status === 405);
  useEffect(() => {
    if (missing) {
      onMissing();
    }
  }, [missing, onMissing]);
  if (missing) {
    return null;
  }
  if (e) {
    return <LoadError error={e} retry={purchases.reload} />;
  }
  if (purchases.loading) {
    return <Spinner />;
  }
  return (
    <>
      {purchases.items.length === 0 ? (
        <Card>
          <p>{t('portal.history.no_purchases')}</p>
        </Card>
      ) : (
        <ol class="pp-history" aria-label={t('portal.history.purchases')}>
          {purchases.items.map((p: Purchase) => (
            <li key={p.id} class="pp-history-row">
              <div>
                <p class="pp-history-what">{formatMoney(p.amount, p.currency || currency)}</p>
                {p.location && <p class="pp-history-note">{p.location}</p>}
                {(p.item_count ?? 0) > 0 && (
                  <p class="pp-history-note">
                    {t('portal.history.items', { count: p.item_count ?? 0, n: formatNumber(p.item_count ?? 0) })}
                  </p>
                )}
                {(p.discount ?? 0) > 0 && (
                  <p class="pp-history-note">
                    {t('portal.history.discount', { amount: formatMoney(p.discount ?? 0, p.currency || currency) })}
                  </p>
                )}
                {p.status === 'returned' || p.status === 'partially_returned' ? (
                  <p class="pp-history-note">
                    {t('portal.history.returned', { amount: formatMoney(p.returned_amount ?? 0, p.currency || currency) })}
                  </p>
                ) : null}
                <p class="pp-history-when">
                  <time dateTime={p.occurred_at}>{formatDateTime(p.occurred_at, program?.time_zone)}</time>
                </p>
              </div>
              <div class="pp-history-points">
                <p class="pp-plus">{signedPoints(p.points_earned ?? 0)}</p>
                {(p.points_reversed ?? 0) > 0 && (
                  <p class="pp-history-note">{t('portal.history.reversed', { points: points(p.points_reversed ?? 0) })}</p>
                )}
              </div>
            </li>
          ))}
        </ol>
      )}
      <MoreButton paged={purchases} />
    </>
  );
}

export function History() {
  const [tab, setTab] = useState<'points' | 'purchases'>('points');
  const [noPurchases, setNoPurchases] = useState(false);
  const missing = useCallback(() => {
    setNoPurchases(true);
    setTab('points');
  }, []);
  return (
    <Shell title={t('portal.nav.history')}>
      <h1>{t('portal.history.title')}</h1>
      {!noPurchases && (
        <div class="pp-segments" role="group" aria-label={t('portal.history.show')}>
          <button type="button" aria-pressed={tab === 'points'} onClick={() => setTab('points')}>
            {t('portal.history.points')}
          </button>
          <button type="button" aria-pressed={tab === 'purchases'} onClick={() => setTab('purchases')}>
            {t('portal.history.purchases')}
          </button>
        </div>
      )}
      {tab === 'points' || noPurchases ? (
        <LedgerList />
      ) : (
        <PurchaseList onMissing={missing} />
      )}
    </Shell>
  );
}
