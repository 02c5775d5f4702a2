// SPDX-License-Identifier: MIT
// One member: the profile, the balance, points adjusted by hand with a reason (admin), the
// ledger a page at a time, the tier, stamp cards, coupons, referrals, wallet and purchases. Each
// part is read on its own, so one that fails (or whose route this server does not have yet:
// coupons and purchases arrive with issue 19) says so without hiding the others.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, newIdempotencyKey } from '../lib/api';
import { Alert, Button, Card, Table } from '../lib/components';
import { errorText } from '../lib/app';
import { formatDate, formatDateTime, formatMoney, formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import { useDash } from './ctx';
import { memberName } from './Members';
import type { MemberRow } from './Members';
import {
  Badge,
  Facts,
  LoadError,
  Loading,
  PageHeader,
  Pager,
  Saved,
  Control,
  SpecFields,
  changedFields,
  isMissingRoute,
  tk,
  useLoad,
  usePaged,
  useSpecForm,
} from './ui';
import type { Loaded, Paged, Spec } from './ui';

interface Balance {
  available: number;
  pending: number;
  owed: number;
  lifetime_earned: number;
  lifetime_redeemed: number;
  lifetime_expired: number;
  expiring: { expires_at: string; points: number }[];
}

interface LedgerEntry {
  id: string;
  type: string;
  points: number;
  balance_after: number;
  reference: string | null;
  reason: string | null;
  created_at: string;
}

interface TierInfo {
  tier: { name: string; perks?: string[] };
  since: string;
  metric: string;
  value: number;
  next: { name: string; missing: number; by: string; text: string } | null;
  review: { date: string; text: string; missing: number; by?: string } | null;
}

interface StampProgress {
  card_id: string;
  name: string;
  stamps_required: number;
  stamps: number;
  missing: number;
  completed: number;
  expires_at: string | null;
}

interface CouponRow {
  code: string;
  reward_id?: string;
  reward_name?: string;
  reward?: { name?: string };
  status: string;
  issued_at: string;
  valid_until?: string | null;
  expires_at?: string | null;
  redeemed_at?: string | null;
}

interface Referral {
  member_id: string;
  status: string;
  enrolled_at: string;
  referrer_reward?: { points: number; wallet: number };
}

interface Referrals {
  referral_code: string;
  referred_by: Referral | null;
  data: Referral[];
}

interface Wallet {
  currency: string;
  balance: number;
  available: number;
  pending: number;
  owed: number;
  movements: { entry_id: string; type: string; amount: number; balance_after: number; created_at: string; reason: string | null }[];
}

interface PurchaseRow {
  id: string;
  external_id: string;
  occurred_at: string;
  amount: number;
  currency?: string;
  points_earned: number;
  location?: string | null;
  returned_amount?: number;
}

// A part of the page whose route may not exist yet on this server.
function Part<T>({ title, loaded, missing, children }: { title: string; loaded: Loaded<T>; missing?: string; children: (d: T) => ComponentChildren }) {
  return (
    <Card title={title}>
      {loaded.error !== undefined && missing !== undefined && isMissingRoute(loaded.error) ? (
        <p class="pt-lead">{missing}</p>
      ) : (
        <Loading loaded={loaded}>{children}</Loading>
      )}
    </Card>
  );
}

// What is missing, in the tier metric's unit: money, points or purchases.
function metricAmount(metric: string, n: number, currency: string): string {
  if (metric === 'spend') {
    return formatMoney(n, currency);
  }
  return metric === 'purchases'
    ? t('dash.member.n_purchases', { count: n, n: formatNumber(n) })
    : t('dash.member.n_points', { count: n, n: formatNumber(n) });
}

function nextText(ti: TierInfo, currency: string, tz: string): string {
  const n = ti.next!;
  return t('dash.member.tier_next_text', { missing: metricAmount(ti.metric, n.missing, currency), name: n.name, by: formatDate(n.by, tz) });
}

function reviewText(ti: TierInfo, currency: string, tz: string): string {
  const r = ti.review!;
  return r.missing > 0
    ? t('dash.member.review_missing', { missing: metricAmount(ti.metric, r.missing, currency), by: formatDate(r.by ?? r.date, tz), date: formatDate(r.date, tz) })
    : t('dash.member.review_kept', { date: formatDate(r.date, tz) });
}

function signed(n: number): string {
  return (n > 0 ? '+' : '') + formatNumber(n);
}

function Adjust({ id, onDone }: { id: string; onDone: () => void }) {
  const { program } = useDash();
  const specs: Spec[] = [
    { path: 'points', label: t('dash.member.adjust_points'), kind: 'int', required: true, hint: t('dash.member.adjust_points_hint') },
    { path: 'reason', label: t('dash.member.adjust_reason'), kind: 'text', required: true, hint: t('dash.member.adjust_reason_hint') },
  ];
  const form = useSpecForm(specs, {}, program.currency);
  const [key, setKey] = useState(newIdempotencyKey);
  const [done, setDone] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(undefined);
    if (/^[-+]?0+$/.test((form.values.points ?? '').trim())) {
      form.setErrors({ points: t('dash.member.adjust_zero') });
      return;
    }
    await form.submit(async (obj) => {
      const answer = await api.post<{ points: number; balance: Balance }>(`/v1/members/${id}/adjustments`, obj, { idempotencyKey: key });
      setDone(t('dash.member.adjusted', { points: signed(answer.points), balance: formatNumber(answer.balance.available) }));
      setKey(newIdempotencyKey());
      form.reset({});
      onDone();
    });
  };
  return (
    <Card title={t('dash.member.adjust')}>
      <form onSubmit={submit} noValidate>
        {form.formError && <Alert>{form.formError}</Alert>}
        <SpecFields specs={specs} form={form} currency={program.currency} />
        {done && <Saved>{done}</Saved>}
        <Button type="submit" busy={form.busy}>
          {t('dash.member.adjust_submit')}
        </Button>
      </form>
    </Card>
  );
}

const PROFILE: [string, 'text' | 'email' | 'date' | 'select'][] = [
  ['first_name', 'text'],
  ['last_name', 'text'],
  ['email', 'email'],
  ['phone', 'text'],
  ['birth_date', 'date'],
  ['city', 'text'],
  ['country', 'text'],
  ['locale', 'text'],
  ['external_id', 'text'],
  ['status', 'select'],
];

// The member's profile changed by an admin (PATCH, the fields changed only); a closed member is
// read-only until reopened (POST …/reopen).
function ProfileEdit({ member, onDone }: { member: MemberRow; onDone: (m: MemberRow) => void }) {
  const { program } = useDash();
  const specs: Spec[] = PROFILE.map(([path, kind]) => ({
    path,
    kind,
    label: tk(`dash.member.field_${path}`),
    nullable: path !== 'status',
    options: kind === 'select' ? ['active', 'suspended', 'closed'].map((v) => ({ value: v, label: tk(`dash.status.${v}`) })) : undefined,
    hint: path === 'phone' ? t('dash.members.hint_phone') : path === 'country' ? t('dash.member.country_hint') : undefined,
  }));
  const form = useSpecForm(specs, member, program.currency);
  const submit = async (event: Event) => {
    event.preventDefault();
    await form.submit(async (obj) => {
      const patch = changedFields(member as Record<string, unknown>, obj);
      onDone(Object.keys(patch).length === 0 ? member : await api.patch<MemberRow>(`/v1/members/${member.id}`, patch));
    });
  };
  return (
    <form onSubmit={submit} noValidate class="dash-form">
      {form.formError && <Alert>{form.formError}</Alert>}
      <SpecFields specs={specs} form={form} currency={program.currency} />
      <div class="dash-actions">
        <Button type="submit" busy={form.busy}>
          {t('dash.member.save_profile')}
        </Button>
        <Button variant="secondary" onClick={() => onDone(member)}>
          {t('dash.cancel')}
        </Button>
      </div>
    </form>
  );
}

function Ledger({ id, version }: { id: string; version: number }) {
  const { program } = useDash();
  const paged = usePaged<LedgerEntry>(`/v1/members/${id}/ledger`, {}, 20, version);
  return (
    <Card title={t('dash.member.ledger')}>
      {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
      <Table
        caption={t('dash.member.ledger')}
        rows={paged.rows}
        rowKey={(e) => e.id}
        empty={paged.loading ? t('common.loading') : t('dash.member.ledger_empty')}
        columns={[
          { key: 'when', header: t('dash.when'), cell: (e) => formatDateTime(e.created_at, program.time_zone) },
          { key: 'type', header: t('dash.member.entry_type'), cell: (e) => tk(`dash.ledger.${e.type}`) },
          { key: 'points', header: t('dash.points'), numeric: true, cell: (e) => signed(e.points) },
          { key: 'after', header: t('dash.member.balance_after'), numeric: true, cell: (e) => formatNumber(e.balance_after) },
          { key: 'why', header: t('dash.member.reason'), cell: (e) => e.reason ?? e.reference ?? '—' },
        ]}
      />
      <Pager paged={paged} label={t('dash.member.ledger_pages')} />
    </Card>
  );
}

// A paged part of the page whose route this server may not have yet.
function PagedPart<T>({ title, path, query, version = 0, missing, children }: {
  title: string;
  path: string;
  query: Record<string, string | number | undefined>;
  version?: number;
  missing: string;
  children: (paged: Paged<T>) => ComponentChildren;
}) {
  const paged = usePaged<T>(path, query, 10, version);
  return (
    <Card title={title}>
      {paged.error !== undefined && isMissingRoute(paged.error) ? (
        <p class="pt-lead">{missing}</p>
      ) : (
        <>
          {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
          {children(paged)}
          <Pager paged={paged as Paged<unknown>} label={title} />
        </>
      )}
    </Card>
  );
}

const COUPON_STATUSES = ['active', 'redeemed', 'expired', 'cancelled'];

function Coupons({ id }: { id: string }) {
  const { program } = useDash();
  const [status, setStatus] = useState('');
  return (
    <PagedPart<CouponRow>
      title={t('dash.member.coupons')}
      path={`/v1/members/${id}/coupons`}
      query={{ status: status || undefined }}
      missing={t('dash.member.coupons_missing')}
    >
      {(paged) => (
        <>
          <div class="dash-filters">
            <Control label={t('dash.member.coupon_status')}>
              {(cid) => (
                <select id={cid} value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
                  <option value="">{t('dash.member.all_coupons')}</option>
                  {COUPON_STATUSES.map((x) => (
                    <option key={x} value={x}>
                      {tk(`dash.status.${x}`)}
                    </option>
                  ))}
                </select>
              )}
            </Control>
          </div>
          <Table
            caption={t('dash.member.coupons')}
            rows={paged.rows}
            rowKey={(x) => x.code}
            empty={paged.loading ? t('common.loading') : t('dash.member.no_coupons')}
            columns={[
              { key: 'code', header: t('dash.member.code'), cell: (x) => <span class="dash-mono">{x.code}</span> },
              { key: 'reward', header: t('dash.member.reward'), cell: (x) => x.reward_name ?? x.reward?.name ?? x.reward_id ?? '—' },
              { key: 'status', header: t('dash.status'), cell: (x) => <Badge status={x.status} /> },
              { key: 'issued', header: t('dash.member.issued_at'), cell: (x) => formatDate(x.issued_at, program.time_zone) },
              {
                key: 'until',
                header: t('dash.member.valid_until'),
                cell: (x) => (x.valid_until ?? x.expires_at ? formatDate(String(x.valid_until ?? x.expires_at), program.time_zone) : '—'),
              },
            ]}
          />
        </>
      )}
    </PagedPart>
  );
}

function Purchases({ id, version }: { id: string; version: number }) {
  const { program } = useDash();
  const cur = program.currency;
  return (
    <PagedPart<PurchaseRow>
      title={t('dash.member.purchases')}
      path={`/v1/members/${id}/purchases`}
      query={{}}
      version={version}
      missing={t('dash.member.purchases_missing')}
    >
      {(paged) => (
        <Table
          caption={t('dash.member.purchases')}
          rows={paged.rows}
          rowKey={(x) => x.id}
          empty={paged.loading ? t('common.loading') : t('dash.member.no_purchases')}
          columns={[
            { key: 'when', header: t('dash.when'), cell: (x) => formatDateTime(x.occurred_at, program.time_zone) },
            { key: 'receipt', header: t('dash.member.receipt'), cell: (x) => x.external_id },
            { key: 'amount', header: t('dash.amount'), numeric: true, cell: (x) => formatMoney(x.amount, x.currency ?? cur) },
            { key: 'points', header: t('dash.points'), numeric: true, cell: (x) => formatNumber(x.points_earned) },
            { key: 'where', header: t('dash.member.location'), cell: (x) => x.location ?? '—' },
          ]}
        />
      )}
    </PagedPart>
  );
}

export function Member({ id }: { id: string }) {
  const { program, canWrite } = useDash();
  const tz = program.time_zone;
  const cur = program.currency;
  const [version, setVersion] = useState(0);
  const member = useLoad(() => api.get<MemberRow>(`/v1/members/${id}`), [id]);
  const [editing, setEditing] = useState(false);
  const [changed, setChanged] = useState<MemberRow>();
  const [reopenError, setReopenError] = useState<string>();
  const balance = useLoad(() => api.get<Balance>(`/v1/members/${id}/balance`), [id, version]);
  const tier = useLoad(() => api.get<TierInfo>(`/v1/members/${id}/tier`), [id, version]);
  const stamps = useLoad(() => api.get<{ data: StampProgress[] }>(`/v1/members/${id}/stamp-cards`), [id]);
  const referrals = useLoad(() => api.get<Referrals>(`/v1/members/${id}/referrals`, { limit: 50 }), [id]);
  const wallet = useLoad(() => api.get<Wallet>(`/v1/members/${id}/wallet`), [id]);

  if (member.data === undefined) {
    return (
      <>
        <p>
          <Link href="/members">{t('dash.member.back')}</Link>
        </p>
        <Loading loaded={member}>{() => null}</Loading>
      </>
    );
  }
  const m = changed?.id === id ? changed : member.data;
  const reopen = async () => {
    setReopenError(undefined);
    try {
      setChanged(await api.post<MemberRow>(`/v1/members/${id}/reopen`));
    } catch (e) {
      setReopenError(errorText(e));
    }
  };
  return (
    <>
      <p class="dash-back">
        <Link href="/members">{t('dash.member.back')}</Link>
      </p>
      <PageHeader title={memberName(m)}>
        <Badge status={m.status} />
        {canWrite && m.status === 'closed' && <Button onClick={reopen}>{t('dash.member.reopen')}</Button>}
        {canWrite && (
          <a class="pt-button pt-button-secondary" href={`/v1/members/${id}/export`} download={`patron-export-${id}.json`}>
            {t('dash.member.export')}
          </a>
        )}
        {canWrite && m.status !== 'closed' && !editing && (
          <Button variant="secondary" onClick={() => setEditing(true)}>
            {t('dash.member.edit_profile')}
          </Button>
        )}
      </PageHeader>
      {reopenError && <Alert>{reopenError}</Alert>}
      {editing && (
        <Card title={t('dash.member.edit_profile')}>
          <ProfileEdit
            member={m}
            onDone={(next) => {
              setChanged(next);
              setEditing(false);
            }}
          />
        </Card>
      )}
      <div class="dash-columns">
        <Card title={t('dash.member.profile')}>
          <Facts
            items={[
              [t('dash.members.card_number'), <span class="dash-mono">{m.card_number}</span>],
              [t('dash.members.email'), m.email],
              [t('dash.members.phone'), m.phone],
              [t('dash.member.first_name'), m.first_name],
              [t('dash.member.last_name'), m.last_name],
              [t('dash.member.birth_date'), m.birth_date ? formatDate(String(m.birth_date)) : null],
              [t('dash.member.city'), [m.city, m.country].filter(Boolean).join(', ')],
              [t('dash.member.locale'), m.locale as string | null],
              [t('dash.members.external_id'), m.external_id],
              [t('dash.member.referral_code'), <span class="dash-mono">{String(m.referral_code ?? '')}</span>],
              [t('dash.members.enrolled_at'), formatDateTime(m.enrolled_at, tz)],
              [
                t('dash.member.consents'),
                Object.entries((m.consents as Record<string, boolean> | null) ?? {})
                  .filter(([, v]) => v)
                  .map(([k]) => tk(`dash.member.consent_${k}`))
                  .join(', '),
              ],
            ]}
          />
        </Card>
        <Part title={t('dash.member.balance')} loaded={balance}>
          {(b) => (
            <>
              <p class="dash-big">
                {t('dash.member.available', { points: formatNumber(b.available) })}
              </p>
              <Facts
                items={[
                  [t('dash.member.pending'), formatNumber(b.pending)],
                  [t('dash.member.owed'), formatNumber(b.owed)],
                  [t('dash.member.lifetime_earned'), formatNumber(b.lifetime_earned)],
                  [t('dash.member.lifetime_redeemed'), formatNumber(b.lifetime_redeemed)],
                  [t('dash.member.lifetime_expired'), formatNumber(b.lifetime_expired)],
                ]}
              />
              {b.expiring.length > 0 && (
                <ul class="dash-list">
                  {b.expiring.map((e) => (
                    <li key={e.expires_at}>
                      {t('dash.member.expiring', { points: formatNumber(e.points), date: formatDate(e.expires_at, tz) })}
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </Part>
      </div>
      {canWrite && <Adjust id={id} onDone={() => setVersion((v) => v + 1)} />}
      <Ledger id={id} version={version} />
      <div class="dash-columns">
        <Card title={t('dash.member.tier')}>
          {tier.error !== undefined ? (
            program.tiers === null ? (
              <p class="pt-lead">{t('dash.member.no_tiers')}</p>
            ) : (
              <LoadError error={tier.error} retry={tier.reload} />
            )
          ) : (
            <Loading loaded={tier}>
              {(ti) => (
                <>
                  <p class="dash-big">{ti.tier.name}</p>
                  <Facts
                    items={[
                      [t('dash.member.tier_since'), formatDate(ti.since, tz)],
                      [t('dash.member.tier_value'), ti.metric === 'spend' ? formatMoney(ti.value, cur) : formatNumber(ti.value)],
                      [t('dash.member.tier_next'), ti.next ? nextText(ti, cur, tz) : t('dash.member.tier_top')],
                      [t('dash.member.tier_review'), ti.review ? reviewText(ti, cur, tz) : '—'],
                    ]}
                  />
                </>
              )}
            </Loading>
          )}
        </Card>
        <Part title={t('dash.member.wallet')} loaded={wallet}>
          {(w) => (
            <>
              <p class="dash-big">{formatMoney(w.available, w.currency || cur)}</p>
              <Facts
                items={[
                  [t('dash.member.wallet_balance'), formatMoney(w.balance, w.currency || cur)],
                  [t('dash.member.pending'), formatMoney(w.pending, w.currency || cur)],
                  [t('dash.member.owed'), formatMoney(w.owed, w.currency || cur)],
                ]}
              />
              {w.movements.length > 0 && (
                <Table
                  caption={t('dash.member.wallet_movements')}
                  rows={w.movements}
                  rowKey={(x) => x.entry_id}
                  columns={[
                    { key: 'when', header: t('dash.when'), cell: (x) => formatDate(x.created_at, tz) },
                    { key: 'type', header: t('dash.member.entry_type'), cell: (x) => tk(`dash.wallet.${x.type}`) },
                    { key: 'amount', header: t('dash.amount'), numeric: true, cell: (x) => formatMoney(x.amount, w.currency || cur) },
                  ]}
                />
              )}
            </>
          )}
        </Part>
      </div>
      <Part title={t('dash.member.stamp_cards')} loaded={stamps}>
        {(s) =>
          s.data.length === 0 ? (
            <p class="pt-lead">{t('dash.member.no_stamp_cards')}</p>
          ) : (
            <ul class="dash-list">
              {s.data.map((c) => (
                <li key={c.card_id}>
                  <span>{c.name}</span>{' '}
                  <progress max={c.stamps_required} value={c.stamps} aria-label={c.name} />{' '}
                  <span>{t('dash.member.stamps', { stamps: formatNumber(c.stamps), required: formatNumber(c.stamps_required), completed: formatNumber(c.completed) })}</span>
                </li>
              ))}
            </ul>
          )
        }
      </Part>
      <Coupons id={id} />
      <Purchases id={id} version={version} />
      <Part title={t('dash.member.referrals')} loaded={referrals}>
        {(r) => (
          <>
            <Facts
              items={[
                [t('dash.member.referral_code'), <span class="dash-mono">{r.referral_code}</span>],
                [
                  t('dash.member.referred_by'),
                  r.referred_by ? <Link href={`/members/${r.referred_by.member_id}`}>{r.referred_by.member_id}</Link> : null,
                ],
              ]}
            />
            <Table
              caption={t('dash.member.referred')}
              rows={r.data}
              rowKey={(x) => x.member_id}
              empty={t('dash.member.no_referrals')}
              columns={[
                { key: 'member', header: t('dash.member.member'), cell: (x) => <Link href={`/members/${x.member_id}`}>{x.member_id}</Link> },
                { key: 'status', header: t('dash.status'), cell: (x) => <Badge status={x.status} /> },
                { key: 'when', header: t('dash.members.enrolled_at'), cell: (x) => formatDate(x.enrolled_at, tz) },
              ]}
            />
          </>
        )}
      </Part>
    </>
  );
}
