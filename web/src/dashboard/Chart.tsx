// SPDX-License-Identifier: MIT
// A chart of monthly figures drawn with uPlot (a canvas chart of ~20 KB gzipped; docs/web.md
// says why). This module is imported only when the home screen has figures to draw, so the
// library is not in the dashboard's first script. The figures are also in a table beside the
// chart (for screen readers and for anyone who would rather read), see Home.tsx.
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { locale, t } from '../lib/i18n';

export interface ChartSeries {
  label: string;
  values: number[];
  color: string;
  format: (value: number) => string; // the legend's exact figure
  axis?: (value: number) => string; // the axis's short one (compact notation)
  bars?: boolean;
}

// 1.2K, 3.4M: axis labels that fit beside a phone's chart.
export function compact(value: number): string {
  return new Intl.NumberFormat(locale(), { notation: 'compact', maximumFractionDigits: 1 }).format(value);
}

interface Props {
  months: string[]; // "2026-11"
  series: ChartSeries[];
  label: string; // what the chart shows, for the canvas's accessible name
  height?: number;
}

export function monthLabel(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { month: 'short', year: '2-digit', timeZone: 'UTC' }).format(
    new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, 15)),
  );
}

// The axis steps uPlot may choose from: whole numbers 1, 2, 5 × 10^n (every figure charted is an
// integer: counts, points, minor units).
const INTEGER_STEPS = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

const FONT = '12px "Noto Sans", "Noto Sans Thai", sans-serif';

export default function Chart({ months, series, label, height = 260 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) {
      return;
    }
    const xs = months.map((_, i) => i);
    const barWidth = series.some((s) => s.bars) ? uPlot.paths.bars!({ size: [0.6, 48] }) : undefined;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      scales: {
        x: { time: false, range: [-0.5, Math.max(months.length - 0.5, 0.5)] },
        // Amounts start at zero: a bar's height is its size.
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      axes: [
        {
          font: FONT,
          stroke: '#1b2330',
          grid: { show: false },
          splits: () => xs,
          // As many month labels as fit (about 56 px each), the latest always among them.
          values: (u, splits) => {
            const step = Math.max(1, Math.ceil((months.length * 56) / Math.max(u.bbox.width / devicePixelRatio, 1)));
            return splits.map((i) =>
              Number.isInteger(i) && months[i] && (months.length - 1 - i) % step === 0 ? monthLabel(months[i]) : '',
            );
          },
        },
        {
          font: FONT,
          stroke: '#1b2330',
          grid: { stroke: '#dde2ea' },
          size: 56,
          // Counts and points are whole: no 0.5 on the axis of two new members.
          incrs: INTEGER_STEPS,
          values: (_u, splits) => splits.map((v) => (series[0]!.axis ?? compact)(v)),
        },
      ],
      series: [
        { label: t('dash.home.month'), value: (_u, i) => (i === null || months[i] === undefined ? '' : monthLabel(months[i])) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: s.bars ? s.color : undefined,
          width: 2,
          points: { show: !s.bars, size: 6 },
          paths: s.bars ? barWidth : undefined,
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : s.format(v)),
        })),
      ],
    };
    const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)], el);
    plot.root.querySelector('canvas')?.setAttribute('role', 'img');
    plot.root.querySelector('canvas')?.setAttribute('aria-label', label);
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 200), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [months, series, label, height]);
  return <div class="dash-chart" ref={box} />;
}
