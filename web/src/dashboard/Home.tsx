// SPDX-License-Identifier: MIT
// The dashboard's home: the program's figures at a glance (GET /v1/program/summary) — members,
// points issued, redeemed and expired, what is outstanding and what it is worth (the liability)
// — and charts of the monthly series. The chart library is loaded only here, and only when
// there is a series to draw.
import type { ComponentType } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Button, Card } from '../lib/components';
import { formatDate, formatMoney, formatNumber, minorDigits } from '../lib/format';
import { locale, t } from '../lib/i18n';
import { Link } from '../lib/router';
import type { ChartSeries } from './Chart';
import { useDash } from './ctx';
import { Control, LoadError, PageHeader, isMissingRoute, useLoad } from './ui';

// GET /v1/program/summary (docs/openapi.yaml): the figures of now (members, outstanding,
// pending, liability, wallets) and of a period (enrolled, issued, reversed, redeemed, expired,
// adjusted), with a row per month of the period.
export interface Summary {
  currency?: string;
  period?: { from: string; to: string; time_zone: string };
  members: { total: number; active: number; enrolled: number };
  points: { issued: number; reversed?: number; redeemed: number; expired: number; adjusted?: number; outstanding: number; pending: number };
  liability: { points: number; amount: number };
  wallet?: { outstanding: number };
  series: {
    month: string;
    enrolled: number;
    issued: number;
    reversed?: number;
    redeemed: number;
    expired: number;
    adjusted?: number;
    purchases: number;
    revenue: number;
  }[];
}

// 12.5K ฿ on an axis: the currency's symbol with a compact number of major units.
function compactMoney(minor: number, currency: string): string {
  const major = minor / 10 ** minorDigits(currency);
  return new Intl.NumberFormat(locale(), { style: 'currency', currency, currencyDisplay: 'narrowSymbol', notation: 'compact', maximumFractionDigits: 1 }).format(major);
}

function Kpi({ label, value, detail }: { label: string; value: string; detail?: string }) {
  return (
    <div class="dash-kpi">
      <p class="dash-kpi-label">{label}</p>
      <p class={value.length > 10 ? 'dash-kpi-value dash-kpi-value-long' : 'dash-kpi-value'}>{value}</p>
      {detail && <p class="dash-kpi-detail">{detail}</p>}
    </div>
  );
}

type ChartModule = { default: ComponentType<{ months: string[]; series: ChartSeries[]; label: string }>; monthLabel: (m: string) => string };

function Charts({ summary, currency }: { summary: Summary; currency: string }) {
  const [mod, setMod] = useState<ChartModule | null>(null);
  const [failed, setFailed] = useState<unknown>();
  useEffect(() => {
    import('./Chart').then(setMod, setFailed);
  }, []);
  const months = useMemo(() => summary.series.map((s) => s.month), [summary]);
  const pointSeries = useMemo<ChartSeries[]>(
    () => [
      { label: t('dash.home.issued'), values: summary.series.map((s) => s.issued), color: '#1d4ed8', format: formatNumber },
      { label: t('dash.home.redeemed'), values: summary.series.map((s) => s.redeemed), color: '#047857', format: formatNumber },
      { label: t('dash.home.expired'), values: summary.series.map((s) => s.expired), color: '#b42318', format: formatNumber },
    ],
    [summary],
  );
  const memberSeries = useMemo<ChartSeries[]>(
    () => [
      { label: t('dash.home.enrolled'), values: summary.series.map((s) => s.enrolled), color: '#1d4ed8', format: formatNumber, bars: true },
    ],
    [summary],
  );
  const revenueSeries = useMemo<ChartSeries[]>(
    () => [
      {
        label: t('dash.home.revenue'),
        values: summary.series.map((s) => s.revenue),
        color: '#7c3aed',
        format: (v) => formatMoney(Math.round(v), currency),
        axis: (v) => compactMoney(v, currency),
        bars: true,
      },
    ],
    [summary, currency],
  );
  if (summary.series.length === 0) {
    return <p>{t('dash.home.no_series')}</p>;
  }
  if (failed !== undefined) {
    return <LoadError error={failed} />;
  }
  const Chart = mod?.default;
  const label = (m: string) => (mod ? mod.monthLabel(m) : m);
  return (
    <>
      <div class="dash-charts">
        <figure class="pt-card dash-figure">
          <figcaption>{t('dash.home.chart_points')}</figcaption>
          {Chart ? <Chart months={months} series={pointSeries} label={t('dash.home.chart_points')} /> : <p role="status">{t('common.loading')}</p>}
        </figure>
        <figure class="pt-card dash-figure">
          <figcaption>{t('dash.home.chart_members')}</figcaption>
          {Chart ? <Chart months={months} series={memberSeries} label={t('dash.home.chart_members')} /> : <p role="status">{t('common.loading')}</p>}
        </figure>
        <figure class="pt-card dash-figure">
          <figcaption>{t('dash.home.chart_revenue')}</figcaption>
          {Chart ? <Chart months={months} series={revenueSeries} label={t('dash.home.chart_revenue')} /> : <p role="status">{t('common.loading')}</p>}
        </figure>
      </div>
      <details class="pt-card">
        <summary>{t('dash.home.table')}</summary>
        <div class="pt-table-wrap">
          <table class="pt-table">
            <caption>{t('dash.home.table')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('dash.home.month')}</th>
                <th scope="col" class="pt-num">{t('dash.home.enrolled')}</th>
                <th scope="col" class="pt-num">{t('dash.home.issued')}</th>
                <th scope="col" class="pt-num">{t('dash.home.reversed_short')}</th>
                <th scope="col" class="pt-num">{t('dash.home.redeemed')}</th>
                <th scope="col" class="pt-num">{t('dash.home.expired')}</th>
                <th scope="col" class="pt-num">{t('dash.home.adjusted')}</th>
                <th scope="col" class="pt-num">{t('dash.home.purchases')}</th>
                <th scope="col" class="pt-num">{t('dash.home.revenue')}</th>
              </tr>
            </thead>
            <tbody>
              {summary.series.map((s) => (
                <tr key={s.month}>
                  <th scope="row">{label(s.month)}</th>
                  <td class="pt-num">{formatNumber(s.enrolled)}</td>
                  <td class="pt-num">{formatNumber(s.issued)}</td>
                  <td class="pt-num">{formatNumber(s.reversed ?? 0)}</td>
                  <td class="pt-num">{formatNumber(s.redeemed)}</td>
                  <td class="pt-num">{formatNumber(s.expired)}</td>
                  <td class="pt-num">{formatNumber(s.adjusted ?? 0)}</td>
                  <td class="pt-num">{formatNumber(s.purchases)}</td>
                  <td class="pt-num">{formatMoney(s.revenue, currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function Period({ applied, onApply }: { applied: { from: string; to: string }; onApply: (p: { from: string; to: string }) => void }) {
  const [from, setFrom] = useState(applied.from);
  const [to, setTo] = useState(applied.to);
  return (
    <form
      class="dash-filters dash-period"
      onSubmit={(e) => {
        e.preventDefault();
        onApply({ from, to });
      }}
    >
      <Control label={t('dash.home.from')}>
        {(id) => <input id={id} type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />}
      </Control>
      <Control label={t('dash.home.to')}>
        {(id) => <input id={id} type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />}
      </Control>
      <div class="dash-search-buttons">
        <Button type="submit" variant="secondary">
          {t('dash.home.show_period')}
        </Button>
      </div>
    </form>
  );
}

export function Home() {
  const { program } = useDash();
  const [period, setPeriod] = useState({ from: '', to: '' });
  const loaded = useLoad(
    () => api.get<Summary>('/v1/program/summary', { from: period.from || undefined, to: period.to || undefined }),
    [period.from, period.to],
  );
  const currency = program.currency;
  const s = loaded.data;
  const range = s?.period
    ? t('dash.home.period', { from: formatDate(s.period.from), to: formatDate(s.period.to) })
    : t('dash.home.points_unit');
  return (
    <>
      <PageHeader title={t('dash.home.title', { program: program.name })} />
      {s?.period && <p class="pt-lead">{range}</p>}
      {loaded.error !== undefined &&
        (isMissingRoute(loaded.error) ? (
          <Card>
            <p>{t('dash.home.no_summary')}</p>
          </Card>
        ) : (
          <LoadError error={loaded.error} retry={loaded.reload} />
        ))}
      {s === undefined && loaded.error === undefined && (
        <p class="pt-loading" role="status">
          {t('common.loading')}
        </p>
      )}
      {s !== undefined && (
        <>
          {s.period && <Period applied={{ from: s.period.from, to: s.period.to }} onApply={setPeriod} />}
          <section class="dash-kpis" aria-label={t('dash.home.kpis')}>
            <Kpi
              label={t('dash.home.members')}
              value={formatNumber(s.members.total)}
              detail={t('dash.home.members_detail', { active: formatNumber(s.members.active), enrolled: formatNumber(s.members.enrolled) })}
            />
            <Kpi
              label={t('dash.home.issued')}
              value={formatNumber(s.points.issued)}
              detail={s.points.reversed ? t('dash.home.reversed', { points: formatNumber(s.points.reversed) }) : range}
            />
            <Kpi label={t('dash.home.redeemed')} value={formatNumber(s.points.redeemed)} detail={range} />
            <Kpi label={t('dash.home.expired')} value={formatNumber(s.points.expired)} detail={range} />
            <Kpi
              label={t('dash.home.outstanding')}
              value={formatNumber(s.points.outstanding)}
              detail={t('dash.home.pending', { points: formatNumber(s.points.pending) })}
            />
            <Kpi
              label={t('dash.home.liability')}
              value={formatMoney(s.liability.amount, currency)}
              detail={t('dash.home.liability_detail', { points: formatNumber(s.liability.points) })}
            />
            {s.wallet && (
              <Kpi label={t('dash.home.wallets')} value={formatMoney(s.wallet.outstanding, currency)} detail={t('dash.home.wallets_detail')} />
            )}
          </section>
          <Charts summary={s} currency={currency} />
        </>
      )}
      <Card title={t('dash.home.shortcuts')}>
        <ul class="dash-shortcuts">
          <li>
            <Link href="/members">{t('dash.home.find_member')}</Link>
          </li>
          <li>
            <Link href="/rules">{t('dash.home.rules')}</Link>
          </li>
          <li>
            <Link href="/rewards">{t('dash.home.rewards')}</Link>
          </li>
          <li>
            <Link href="/program">{t('dash.home.settings')}</Link>
          </li>
        </ul>
      </Card>
    </>
  );
}
