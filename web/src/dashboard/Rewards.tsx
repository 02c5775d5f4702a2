// SPDX-License-Identifier: MIT
// The rewards catalog (docs/rewards.md): the list with cost and stock (issued of stock), a
// reward created or changed with every field the API takes, and for a partner_voucher reward
// its pool of partner codes (GET/POST /v1/rewards/{id}/vouchers).
import { useState } from 'preact/hooks';
import { api, newIdempotencyKey } from '../lib/api';
import { Alert, Button, Card, Table } from '../lib/components';
import { formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { Link, navigate } from '../lib/router';
import { useDash } from './ctx';
import {
  Badge,
  Control,
  Facts,
  LoadError,
  Loading,
  PageHeader,
  Pager,
  Saved,
  SpecFields,
  changedFields,
  tk,
  useLoad,
  usePaged,
  useSpecForm,
} from './ui';
import type { Spec } from './ui';

export interface Reward {
  id: string;
  name: string;
  type: string;
  value?: number;
  cost_points: number | null;
  stock: number | null;
  issued: number;
  status: string;
  [field: string]: unknown;
}

const TYPES = ['discount_amount', 'discount_percent', 'free_product', 'gift', 'partner_voucher'];

export function rewardValue(r: Reward, currency: string, money: (n: number, c: string) => string): string {
  if (r.type === 'discount_amount' && typeof r.value === 'number') {
    return money(r.value, currency);
  }
  if (r.type === 'discount_percent' && typeof r.value === 'number') {
    return `${formatNumber(r.value / 100)} %`;
  }
  if (r.type === 'free_product') {
    return String(r.sku ?? '');
  }
  return '';
}

function specs(type: string, creating: boolean): Spec[] {
  const list: Spec[] = [
    { path: 'name', label: t('dash.rewards.name'), kind: 'text', required: true },
    {
      path: 'type',
      label: t('dash.rewards.type'),
      kind: 'select',
      readOnly: !creating,
      options: TYPES.map((v) => ({ value: v, label: tk(`dash.rewards.type_${v}`) })),
    },
  ];
  if (type === 'discount_amount') {
    list.push({ path: 'value', label: t('dash.rewards.value_amount'), kind: 'money', required: true });
  } else if (type === 'discount_percent') {
    list.push({ path: 'value', label: t('dash.rewards.value_percent'), kind: 'percent', required: true });
  } else if (type === 'free_product') {
    list.push({ path: 'sku', label: t('dash.rewards.sku'), kind: 'text', required: true });
  }
  list.push(
    { path: 'cost_points', label: t('dash.rewards.cost_points'), kind: 'int', nullable: true, hint: t('dash.rewards.cost_points_hint') },
    { path: 'stock', label: t('dash.rewards.stock'), kind: 'int', nullable: true, hint: t('dash.rewards.stock_hint') },
    { path: 'per_member_limit', label: t('dash.rewards.per_member_limit'), kind: 'int', nullable: true },
    { path: 'coupon_valid_days', label: t('dash.rewards.coupon_valid_days'), kind: 'int' },
    { path: 'valid_from', label: t('dash.rewards.valid_from'), kind: 'datetime', nullable: true },
    { path: 'valid_to', label: t('dash.rewards.valid_to'), kind: 'datetime', nullable: true },
    { path: 'min_amount', label: t('dash.rewards.min_amount'), kind: 'money', nullable: true },
    { path: 'tiers', label: t('dash.rewards.tiers'), kind: 'list', hint: t('dash.rewards.tiers_hint') },
    { path: 'skus', label: t('dash.rewards.skus'), kind: 'list', hint: t('dash.form.list_hint') },
    { path: 'categories', label: t('dash.rewards.categories'), kind: 'list', hint: t('dash.form.list_hint') },
    { path: 'description', label: t('dash.rewards.description'), kind: 'textarea', nullable: true, wide: true },
    { path: 'terms', label: t('dash.rewards.terms'), kind: 'textarea', nullable: true, wide: true },
    { path: 'image_url', label: t('dash.rewards.image_url'), kind: 'url', nullable: true },
    { path: 'combines', label: t('dash.rewards.combines'), kind: 'bool', hint: t('dash.rewards.combines_hint') },
  );
  if (!creating) {
    list.push({
      path: 'status',
      label: t('dash.status'),
      kind: 'select',
      options: ['active', 'inactive', 'archived'].map((s) => ({ value: s, label: tk(`dash.status.${s}`) })),
    });
  }
  return list;
}

function RewardForm({ reward, onSaved }: { reward?: Reward; onSaved: (r: Reward) => void }) {
  const { program, canWrite } = useDash();
  const creating = reward === undefined;
  const initial = reward ?? { type: 'discount_amount', coupon_valid_days: 30, combines: false };
  const [type, setType] = useState(String(initial.type));
  const list = specs(type, creating);
  const form = useSpecForm(list, initial, program.currency);
  const [key] = useState(newIdempotencyKey);
  const [saved, setSaved] = useState(false);
  const shownType = form.values.type ?? type;
  if (shownType !== type) {
    setType(shownType);
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    const ok = await form.submit(async (obj) => {
      if (creating) {
        const created = await api.post<Reward>('/v1/rewards', obj, { idempotencyKey: key });
        onSaved(created);
      } else {
        const patch = changedFields(reward as Record<string, unknown>, obj);
        delete patch.type;
        onSaved(Object.keys(patch).length === 0 ? reward : await api.patch<Reward>(`/v1/rewards/${reward.id}`, patch));
      }
    });
    setSaved(ok && !creating);
  };
  return (
    <form onSubmit={submit} noValidate class="dash-form">
      {form.formError && <Alert>{form.formError}</Alert>}
      <SpecFields specs={list} form={form} readOnly={!canWrite || reward?.status === 'archived'} currency={program.currency} />
      {canWrite && reward?.status !== 'archived' && (
        <div class="dash-actions">
          {saved && <Saved>{t('dash.saved')}</Saved>}
          <Button type="submit" busy={form.busy}>
            {creating ? t('dash.rewards.create') : t('dash.rewards.save')}
          </Button>
        </div>
      )}
    </form>
  );
}

function Vouchers({ id }: { id: string }) {
  const { canWrite } = useDash();
  const pool = useLoad(() => api.get<{ codes: number; free: number; added?: number }>(`/v1/rewards/${id}/vouchers`), [id]);
  const [codes, setCodes] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<number>();
  const upload = async (event: Event) => {
    event.preventDefault();
    const list = codes.split(/[\s,;]+/).filter(Boolean);
    if (list.length === 0) {
      setError(t('common.required'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const answer = await api.post<{ added: number }>(`/v1/rewards/${id}/vouchers`, { codes: list });
      setAdded(answer.added);
      setCodes('');
      pool.reload();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('dash.rewards.vouchers')}>
      <Loading loaded={pool}>
        {(p) => (
          <Facts
            items={[
              [t('dash.rewards.vouchers_codes'), formatNumber(p.codes)],
              [t('dash.rewards.vouchers_free'), formatNumber(p.free)],
            ]}
          />
        )}
      </Loading>
      {canWrite && (
        <form onSubmit={upload} noValidate>
          <Control label={t('dash.rewards.vouchers_add')} hint={t('dash.rewards.vouchers_hint')} error={error} wide>
            {(cid, described) => (
              <textarea
                id={cid}
                class="dash-code"
                rows={5}
                value={codes}
                aria-describedby={described}
                aria-invalid={error ? 'true' : undefined}
                onInput={(e) => setCodes(e.currentTarget.value)}
              />
            )}
          </Control>
          {added !== undefined && <Saved>{t('dash.rewards.vouchers_added', { count: added, n: formatNumber(added) })}</Saved>}
          <Button type="submit" busy={busy}>
            {t('dash.rewards.vouchers_upload')}
          </Button>
        </form>
      )}
    </Card>
  );
}

function RewardPage({ id }: { id: string }) {
  const { program } = useDash();
  const loaded = useLoad(() => api.get<Reward>(`/v1/rewards/${id}`), [id]);
  const [reward, setReward] = useState<Reward>();
  const r = reward ?? loaded.data;
  return (
    <>
      <p class="dash-back">
        <Link href="/rewards">{t('dash.rewards.back')}</Link>
      </p>
      {r === undefined ? (
        <Loading loaded={loaded}>{() => null}</Loading>
      ) : (
        <>
          <PageHeader title={r.name}>
            <Badge status={r.status} />
          </PageHeader>
          <Card title={t('dash.rewards.stock_title')}>
            <Facts
              items={[
                [t('dash.rewards.issued'), formatNumber(r.issued)],
                [t('dash.rewards.stock'), r.stock === null ? t('dash.rewards.unlimited') : formatNumber(r.stock)],
                [t('dash.rewards.left'), r.stock === null ? t('dash.rewards.unlimited') : formatNumber(Math.max(r.stock - r.issued, 0))],
                [t('dash.rewards.currency'), program.currency],
              ]}
            />
          </Card>
          <Card title={t('dash.rewards.details')}>
            <RewardForm key={r.id + String(r.status)} reward={r} onSaved={setReward} />
          </Card>
          {r.type === 'partner_voucher' && <Vouchers id={r.id} />}
        </>
      )}
    </>
  );
}

export function Rewards({ id }: { id?: string | undefined; sub?: string | undefined }) {
  if (id === 'new') {
    return (
      <>
        <p class="dash-back">
          <Link href="/rewards">{t('dash.rewards.back')}</Link>
        </p>
        <PageHeader title={t('dash.rewards.new_title')} />
        <Card>
          <RewardForm onSaved={(r) => navigate(`/rewards/${r.id}`)} />
        </Card>
      </>
    );
  }
  if (id !== undefined) {
    return <RewardPage id={id} />;
  }
  return <RewardList />;
}

function RewardList() {
  const { program, canWrite } = useDash();
  const paged = usePaged<Reward>('/v1/rewards', {});
  return (
    <>
      <PageHeader title={t('dash.rewards.title')}>
        {canWrite && <Button onClick={() => navigate('/rewards/new')}>{t('dash.rewards.new')}</Button>}
      </PageHeader>
      <Card>
        {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
        <Table
          caption={t('dash.rewards.list')}
          rows={paged.rows}
          rowKey={(r) => r.id}
          empty={paged.loading ? t('common.loading') : t('dash.rewards.none')}
          columns={[
            { key: 'name', header: t('dash.rewards.name'), cell: (r) => <Link href={`/rewards/${r.id}`}>{r.name}</Link> },
            { key: 'type', header: t('dash.rewards.type'), cell: (r) => tk(`dash.rewards.type_${r.type}`) },
            { key: 'cost', header: t('dash.rewards.cost_points'), numeric: true, cell: (r) => (r.cost_points === null ? t('dash.rewards.not_for_sale') : formatNumber(r.cost_points)) },
            { key: 'issued', header: t('dash.rewards.issued'), numeric: true, cell: (r) => formatNumber(r.issued) },
            {
              key: 'stock',
              header: t('dash.rewards.left'),
              numeric: true,
              cell: (r) => (r.stock === null ? t('dash.rewards.unlimited') : formatNumber(Math.max(r.stock - r.issued, 0))),
            },
            { key: 'status', header: t('dash.status'), cell: (r) => <Badge status={r.status} /> },
          ]}
        />
        <Pager paged={paged} label={t('dash.rewards.pages')} />
        <p class="pt-hint">{t('dash.rewards.currency_note', { currency: program.currency })}</p>
      </Card>
    </>
  );
}
