// SPDX-License-Identifier: MIT
// Coupon batches (docs/rewards.md, promotion codes): the list with each batch's progress while
// its codes are made (read again every second while one is generating), a batch created from
// a reward or a discount, and a ready batch's codes.csv downloaded (a plain link: the session
// cookie authenticates the GET).
import { useEffect, useState } from 'preact/hooks';
import { api, newIdempotencyKey } from '../lib/api';
import { Alert, Button, Card, Table } from '../lib/components';
import { formatDateTime, formatMoney, formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { Link, navigate } from '../lib/router';
import { useDash } from './ctx';
import { Badge, LoadError, PageHeader, Pager, SpecFields, tk, usePaged, useRewardOptions, useSpecForm } from './ui';
import type { Option, Spec } from './ui';

interface Batch {
  id: string;
  name: string;
  reward_id: string | null;
  discount: { type: string; value: number; sku: string | null } | null;
  prefix: string;
  count: number;
  generated: number;
  progress: number;
  status: 'generating' | 'ready' | 'failed';
  error: string | null;
  uses_per_code: number;
  uses_per_member: number | null;
  valid_from: string | null;
  valid_to: string | null;
  created_at: string;
}

function specs(source: string, rewards: Option[]): Spec[] {
  const list: Spec[] = [
    { path: 'name', label: t('dash.batches.name'), kind: 'text', required: true },
    {
      path: 'source',
      label: t('dash.batches.gives'),
      kind: 'select',
      options: ['reward', 'discount_amount', 'discount_percent', 'free_product'].map((s) => ({ value: s, label: tk(`dash.batches.source_${s}`) })),
    },
  ];
  if (source === 'reward') {
    list.push({ path: 'reward_id', label: t('dash.batches.reward_id'), kind: 'select', required: true, options: rewards, hint: t('dash.batches.reward_id_hint') });
  } else if (source === 'discount_amount') {
    list.push({ path: 'discount.value', label: t('dash.rewards.value_amount'), kind: 'money', required: true });
  } else if (source === 'discount_percent') {
    list.push({ path: 'discount.value', label: t('dash.rewards.value_percent'), kind: 'percent', required: true });
  } else {
    list.push({ path: 'discount.sku', label: t('dash.rewards.sku'), kind: 'text', required: true });
  }
  list.push(
    { path: 'count', label: t('dash.batches.count'), kind: 'int', required: true },
    { path: 'prefix', label: t('dash.batches.prefix'), kind: 'text', hint: t('dash.batches.prefix_hint') },
    { path: 'uses_per_code', label: t('dash.batches.uses_per_code'), kind: 'int' },
    { path: 'uses_per_member', label: t('dash.batches.uses_per_member'), kind: 'int', nullable: true },
    { path: 'valid_from', label: t('dash.rewards.valid_from'), kind: 'datetime', nullable: true },
    { path: 'valid_to', label: t('dash.rewards.valid_to'), kind: 'datetime', nullable: true },
    { path: 'combines', label: t('dash.rewards.combines'), kind: 'bool', hint: t('dash.rewards.combines_hint') },
  );
  return list;
}

function NewBatch() {
  const { program } = useDash();
  const [source, setSource] = useState('discount_percent');
  const rewards = useRewardOptions(null, t('dash.batches.choose_reward'));
  const list = specs(source, rewards);
  const form = useSpecForm(list, { source, count: 100, uses_per_code: 1, combines: false }, program.currency);
  const [key] = useState(newIdempotencyKey);
  const shown = form.values.source ?? source;
  if (shown !== source) {
    setSource(shown);
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    await form.submit(async (obj) => {
      const body: Record<string, unknown> = { ...obj };
      delete body.source;
      if (source !== 'reward') {
        const d = (body.discount ?? {}) as Record<string, unknown>;
        body.discount = { type: source, value: source === 'free_product' ? 0 : d.value, ...(source === 'free_product' ? { sku: d.sku } : {}) };
      }
      const batch = await api.post<Batch>('/v1/coupon-batches', body, { idempotencyKey: key });
      navigate('/coupon-batches?created=' + batch.id);
    });
  };
  return (
    <>
      <p class="dash-back">
        <Link href="/coupon-batches">{t('dash.batches.back')}</Link>
      </p>
      <PageHeader title={t('dash.batches.new_title')} />
      <Card>
        <form onSubmit={submit} noValidate class="dash-form">
          {form.formError && <Alert>{form.formError}</Alert>}
          <SpecFields specs={list} form={form} currency={program.currency} />
          <div class="dash-actions">
            <Button type="submit" busy={form.busy}>
              {t('dash.batches.create')}
            </Button>
          </div>
        </form>
      </Card>
    </>
  );
}

function gives(b: Batch, currency: string): string {
  if (b.reward_id) {
    return t('dash.batches.gives_reward', { reward: b.reward_id });
  }
  if (b.discount?.type === 'discount_amount') {
    return formatMoney(b.discount.value, currency);
  }
  if (b.discount?.type === 'discount_percent') {
    return `${formatNumber(b.discount.value / 100)} %`;
  }
  return t('dash.batches.gives_product', { sku: b.discount?.sku ?? '' });
}

function BatchList() {
  const { program, canWrite } = useDash();
  const paged = usePaged<Batch>('/v1/coupon-batches', {});
  const generating = paged.rows.some((b) => b.status === 'generating');
  useEffect(() => {
    if (!generating) {
      return;
    }
    const timer = setTimeout(paged.reload, 1000);
    return () => clearTimeout(timer);
  }, [generating, paged.rows]);
  return (
    <>
      <PageHeader title={t('dash.batches.title')}>
        {canWrite && <Button onClick={() => navigate('/coupon-batches/new')}>{t('dash.batches.new')}</Button>}
      </PageHeader>
      <Card>
        {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
        <Table
          caption={t('dash.batches.list')}
          rows={paged.rows}
          rowKey={(b) => b.id}
          empty={paged.loading ? t('common.loading') : t('dash.batches.none')}
          columns={[
            { key: 'name', header: t('dash.batches.name'), cell: (b) => b.name },
            { key: 'gives', header: t('dash.batches.gives'), cell: (b) => gives(b, program.currency) },
            { key: 'status', header: t('dash.status'), cell: (b) => <Badge status={b.status} /> },
            {
              key: 'progress',
              header: t('dash.batches.progress'),
              cell: (b) => (
                <span class="dash-progress">
                  <progress max={100} value={b.progress} aria-label={t('dash.batches.progress_of', { name: b.name })} />
                  <span>
                    {t('dash.batches.generated', { generated: formatNumber(b.generated), count: formatNumber(b.count) })}
                  </span>
                  {b.error && <span class="pt-error">{b.error}</span>}
                </span>
              ),
            },
            { key: 'created', header: t('dash.created_at'), cell: (b) => formatDateTime(b.created_at, program.time_zone) },
            {
              key: 'codes',
              header: t('dash.batches.codes'),
              cell: (b) =>
                // The codes are as good as money: an admin's to download, not a viewer's.
                b.status === 'ready' && canWrite ? (
                  <a href={`/v1/coupon-batches/${b.id}/codes.csv`} download={`${b.prefix || b.id}-codes.csv`}>
                    {t('dash.batches.download', { name: b.name })}
                  </a>
                ) : (
                  '—'
                ),
            },
          ]}
        />
        <Pager paged={paged} label={t('dash.batches.pages')} />
      </Card>
    </>
  );
}

export function CouponBatches({ id }: { id?: string | undefined }) {
  return id === 'new' ? <NewBatch /> : <BatchList />;
}
