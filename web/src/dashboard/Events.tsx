// SPDX-License-Identifier: MIT
// The event log: GET /v1/events in commit order, read on from the last event shown (`after`),
// a page at a time. The API has no filter by type, so the filter keeps the events of the type
// chosen among those read and reads on until a page shows some (or the log ends).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Button, Card, Table } from '../lib/components';
import { formatDateTime, formatMoney, formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import { useDash } from './ctx';
import { Control, LoadError, PageHeader, tk } from './ui';

interface LogEvent {
  id: string;
  type: string;
  created_at: string;
  member_id: string | null;
  data: Record<string, unknown>;
}

const TYPES = [
  'member.created', 'member.updated', 'member.reopened', 'points.earned', 'points.returned', 'points.redeemed',
  'points.redemption_cancelled', 'points.adjusted', 'points.transferred', 'points.expired', 'activity.recorded',
  'tier.upgraded', 'tier.downgraded', 'stamps.added', 'stamps.removed', 'stamp_card.completed', 'wallet.credited',
  'wallet.debited', 'wallet.debit_cancelled', 'wallet.reversed', 'referral.qualified', 'referral.reversed',
  'coupon.issued', 'coupon.redeemed', 'coupon.cancelled', 'coupon.expired', 'coupon_batch.ready',
];

const PAGE = 50;

// A line saying what the event's object holds that a person looks for first.
function gist(e: LogEvent, currency: string): string {
  const d = e.data;
  const parts: string[] = [];
  const points = typeof d.points_earned === 'number' ? d.points_earned : d.points;
  if (typeof points === 'number') {
    parts.push(t('dash.events.points', { points: formatNumber(points) }));
  }
  if (typeof d.amount === 'number') {
    parts.push(formatMoney(d.amount, typeof d.currency === 'string' ? d.currency : currency));
  }
  for (const key of ['reason', 'code', 'name', 'external_id']) {
    const v = d[key];
    if (typeof v === 'string' && v.length < 80) {
      parts.push(v);
    }
  }
  return parts.join(' · ');
}

export function Events() {
  const { program } = useDash();
  const [type, setType] = useState('');
  const [events, setEvents] = useState<LogEvent[]>([]);
  const [after, setAfter] = useState<string | null>(null);
  const [ended, setEnded] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const load = async (from: string | null, kept: LogEvent[]) => {
    setBusy(true);
    setError(undefined);
    try {
      let cursor = from;
      let all = kept;
      // With a type chosen, read on (at most 10 pages at a time) until one of that type appears.
      for (let n = 0; n < 10; n++) {
        const page = await api.get<{ data: LogEvent[]; next_after: string | null }>('/v1/events', { after: cursor ?? undefined, limit: PAGE });
        all = [...all, ...page.data];
        cursor = page.next_after;
        if (page.data.length < PAGE) {
          setEnded(true);
          break;
        }
        if (type === '' || page.data.some((e) => e.type === type)) {
          break;
        }
      }
      setEvents(all);
      setAfter(cursor);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    setEnded(false);
    void load(null, []);
  }, [type]);
  const shown = type === '' ? events : events.filter((e) => e.type === type);
  return (
    <>
      <PageHeader title={t('dash.events.title')} />
      <Card>
        <p class="pt-lead">{t('dash.events.lead')}</p>
        <div class="dash-filters">
          <Control label={t('dash.events.type')}>
            {(id) => (
              <select id={id} value={type} onChange={(e) => setType(e.currentTarget.value)}>
                <option value="">{t('dash.events.all')}</option>
                {TYPES.map((x) => (
                  <option key={x} value={x}>
                    {tk(`dash.event.${x.replace(/\./g, '_')}`)}
                  </option>
                ))}
              </select>
            )}
          </Control>
        </div>
        {error !== undefined && <LoadError error={error} retry={() => void load(after, events)} />}
        <Table
          caption={t('dash.events.list')}
          rows={shown}
          rowKey={(e) => e.id}
          empty={busy ? t('common.loading') : t('dash.events.none')}
          columns={[
            { key: 'when', header: t('dash.when'), cell: (e) => formatDateTime(e.created_at, program.time_zone) },
            { key: 'type', header: t('dash.events.type'), cell: (e) => tk(`dash.event.${e.type.replace(/\./g, '_')}`) },
            { key: 'member', header: t('dash.member.member'), cell: (e) => (e.member_id ? <Link href={`/members/${e.member_id}`}>{e.member_id}</Link> : '—') },
            { key: 'gist', header: t('dash.events.what'), cell: (e) => gist(e, program.currency) || '—' },
            {
              key: 'data',
              header: t('dash.events.data'),
              cell: (e) => (
                <details>
                  <summary>{t('dash.events.show')}</summary>
                  <pre class="dash-pre">{JSON.stringify(e.data, null, 2)}</pre>
                </details>
              ),
            },
          ]}
        />
        <div class="dash-actions">
          <span aria-live="polite">{t('dash.events.count', { shown: formatNumber(shown.length), read: formatNumber(events.length) })}</span>
          {!ended && (
            <Button variant="secondary" busy={busy} onClick={() => void load(after, events)}>
              {t('dash.events.more')}
            </Button>
          )}
        </div>
      </Card>
    </>
  );
}
