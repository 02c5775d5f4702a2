// SPDX-License-Identifier: MIT
// Stamp cards (docs/stamp-cards.md): the list, a card created, and a card changed (its status
// among them: active, paused, archived — archived is final).
import { useState } from 'preact/hooks';
import { api, newIdempotencyKey } from '../lib/api';
import { Alert, Button, Card, Table } from '../lib/components';
import { formatDate, formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { Link, navigate } from '../lib/router';
import { useDash } from './ctx';
import { Badge, LoadError, Loading, PageHeader, Pager, Saved, SpecFields, changedFields, tk, useLoad, usePaged, useRewardOptions, useSpecForm } from './ui';
import type { Option, Spec } from './ui';

interface StampCard {
  id: string;
  name: string;
  status: string;
  stamps_required: number;
  stamps_per: string;
  reward: { points: number | null; reward_id: string | null };
  valid_days: number | null;
  created_at: string;
  [field: string]: unknown;
}

function specs(creating: boolean, rewards: Option[]): Spec[] {
  return [
    { path: 'name', label: t('dash.stamps.name'), kind: 'text', required: true },
    {
      path: 'status',
      label: t('dash.status'),
      kind: 'select',
      options: (creating ? ['active', 'paused'] : ['active', 'paused', 'archived']).map((s) => ({ value: s, label: tk(`dash.status.${s}`) })),
    },
    { path: 'stamps_required', label: t('dash.stamps.required'), kind: 'int', required: true },
    {
      path: 'stamps_per',
      label: t('dash.stamps.per'),
      kind: 'select',
      options: ['purchase', 'item'].map((s) => ({ value: s, label: tk(`dash.stamps.per_${s}`) })),
    },
    { path: 'reward.points', label: t('dash.stamps.reward_points'), kind: 'int', nullable: true, hint: t('dash.stamps.reward_hint') },
    { path: 'reward.reward_id', label: t('dash.stamps.reward_id'), kind: 'select', nullable: true, options: rewards },
    { path: 'valid_days', label: t('dash.stamps.valid_days'), kind: 'int', nullable: true, hint: t('dash.stamps.valid_days_hint') },
    { path: 'conditions', label: t('dash.stamps.conditions'), kind: 'json', nullable: true, hint: t('dash.stamps.conditions_hint') },
    { path: 'items', label: t('dash.stamps.items'), kind: 'json', nullable: true, hint: t('dash.stamps.items_hint') },
  ];
}

function CardForm({ card, onSaved }: { card?: StampCard; onSaved: (c: StampCard) => void }) {
  const { program, canWrite } = useDash();
  const creating = card === undefined;
  const rewards = useRewardOptions(card?.reward.reward_id, t('dash.stamps.no_reward'));
  const list = specs(creating, rewards);
  const form = useSpecForm(list, card ?? { status: 'active', stamps_per: 'purchase', stamps_required: 10 }, program.currency);
  const [key] = useState(newIdempotencyKey);
  const [saved, setSaved] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    const ok = await form.submit(async (obj) => {
      if (creating) {
        onSaved(await api.post<StampCard>('/v1/stamp-cards', obj, { idempotencyKey: key }));
      } else {
        const patch = changedFields(card as Record<string, unknown>, obj);
        onSaved(Object.keys(patch).length === 0 ? card : await api.patch<StampCard>(`/v1/stamp-cards/${card.id}`, patch));
      }
    });
    setSaved(ok && !creating);
  };
  const locked = !canWrite || card?.status === 'archived';
  return (
    <form onSubmit={submit} noValidate class="dash-form">
      {form.formError && <Alert>{form.formError}</Alert>}
      <SpecFields specs={list} form={form} readOnly={locked} currency={program.currency} />
      {!locked && (
        <div class="dash-actions">
          {saved && <Saved>{t('dash.saved')}</Saved>}
          <Button type="submit" busy={form.busy}>
            {creating ? t('dash.stamps.create') : t('dash.stamps.save')}
          </Button>
        </div>
      )}
    </form>
  );
}

function CardPage({ id }: { id: string }) {
  const loaded = useLoad(() => api.get<StampCard>(`/v1/stamp-cards/${id}`), [id]);
  const [card, setCard] = useState<StampCard>();
  const c = card ?? loaded.data;
  return (
    <>
      <p class="dash-back">
        <Link href="/stamp-cards">{t('dash.stamps.back')}</Link>
      </p>
      {c === undefined ? (
        <Loading loaded={loaded}>{() => null}</Loading>
      ) : (
        <>
          <PageHeader title={c.name}>
            <Badge status={c.status} />
          </PageHeader>
          <Card>
            <CardForm key={c.id + c.status} card={c} onSaved={setCard} />
          </Card>
        </>
      )}
    </>
  );
}

function CardList() {
  const { program, canWrite } = useDash();
  const paged = usePaged<StampCard>('/v1/stamp-cards', {});
  return (
    <>
      <PageHeader title={t('dash.stamps.title')}>
        {canWrite && <Button onClick={() => navigate('/stamp-cards/new')}>{t('dash.stamps.new')}</Button>}
      </PageHeader>
      <Card>
        {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
        <Table
          caption={t('dash.stamps.list')}
          rows={paged.rows}
          rowKey={(c) => c.id}
          empty={paged.loading ? t('common.loading') : t('dash.stamps.none')}
          columns={[
            { key: 'name', header: t('dash.stamps.name'), cell: (c) => <Link href={`/stamp-cards/${c.id}`}>{c.name}</Link> },
            { key: 'status', header: t('dash.status'), cell: (c) => <Badge status={c.status} /> },
            { key: 'required', header: t('dash.stamps.required'), numeric: true, cell: (c) => formatNumber(c.stamps_required) },
            { key: 'per', header: t('dash.stamps.per'), cell: (c) => tk(`dash.stamps.per_${c.stamps_per}`) },
            {
              key: 'reward',
              header: t('dash.stamps.reward'),
              cell: (c) =>
                c.reward.points !== null && c.reward.points !== undefined
                  ? t('dash.stamps.reward_points_value', { points: formatNumber(c.reward.points) })
                  : c.reward.reward_id ? <Link href={`/rewards/${c.reward.reward_id}`}>{c.reward.reward_id}</Link> : '—',
            },
            { key: 'created', header: t('dash.created_at'), cell: (c) => formatDate(c.created_at, program.time_zone) },
          ]}
        />
        <Pager paged={paged} label={t('dash.stamps.pages')} />
      </Card>
    </>
  );
}

export function StampCards({ id }: { id?: string | undefined }) {
  if (id === 'new') {
    return (
      <>
        <p class="dash-back">
          <Link href="/stamp-cards">{t('dash.stamps.back')}</Link>
        </p>
        <PageHeader title={t('dash.stamps.new_title')} />
        <Card>
          <CardForm onSaved={(c) => navigate(`/stamp-cards/${c.id}`)} />
        </Card>
      </>
    );
  }
  return id !== undefined ? <CardPage id={id} /> : <CardList />;
}
