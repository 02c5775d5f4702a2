// SPDX-License-Identifier: MIT
// Members: GET /v1/members, newest first, a page at a time; search by the start of a name or an
// email (q), or filter by an exact email, phone, card number or external id. The search is in
// the address (?q=…) so that Back returns to the same list.
import { useState } from 'preact/hooks';
import { Button, Card, Table } from '../lib/components';
import { formatDate } from '../lib/format';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import { useDash } from './ctx';
import { Badge, Control, LoadError, PageHeader, Pager, tk, usePaged } from './ui';

export interface MemberRow {
  id: string;
  email?: string | null;
  phone?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  card_number: string;
  external_id?: string | null;
  status: string;
  enrolled_at: string;
  [field: string]: unknown;
}

export function memberName(m: MemberRow): string {
  const name = [m.first_name, m.last_name].filter(Boolean).join(' ');
  return name || m.email || m.phone || m.card_number;
}

const FILTERS = ['email', 'phone', 'card_number', 'external_id'] as const;

function readQuery(): { q: string; by: string; value: string } {
  const params = new URLSearchParams(location.search);
  const by = FILTERS.find((f) => params.has(f));
  return { q: params.get('q') ?? '', by: by ?? 'email', value: by ? params.get(by) ?? '' : '' };
}

export function Members() {
  const { program } = useDash();
  const [applied, setApplied] = useState(readQuery);
  const [q, setQ] = useState(applied.q);
  const [by, setBy] = useState(applied.by);
  const [value, setValue] = useState(applied.value);
  const query: Record<string, string> = {};
  if (applied.q) {
    query.q = applied.q;
  }
  if (applied.value) {
    query[applied.by] = applied.value;
  }
  const paged = usePaged<MemberRow>('/v1/members', query);
  const search = (event: Event) => {
    event.preventDefault();
    const next = { q: q.trim(), by, value: value.trim() };
    setApplied(next);
    const params = new URLSearchParams();
    if (next.q) {
      params.set('q', next.q);
    }
    if (next.value) {
      params.set(next.by, next.value);
    }
    const text = params.toString();
    history.replaceState(null, '', '/members' + (text ? '?' + text : ''));
  };
  const clear = () => {
    setQ('');
    setValue('');
    setApplied({ q: '', by, value: '' });
    history.replaceState(null, '', '/members');
  };
  return (
    <>
      <PageHeader title={t('dash.members.title')} />
      <Card>
        <form class="dash-search" role="search" onSubmit={search}>
          <Control label={t('dash.members.q')} hint={t('dash.members.q_hint')}>
            {(id, described) => (
              <input id={id} type="search" name="q" value={q} aria-describedby={described} onInput={(e) => setQ(e.currentTarget.value)} />
            )}
          </Control>
          <Control label={t('dash.members.filter_by')}>
            {(id) => (
              <select id={id} name="by" value={by} onChange={(e) => setBy(e.currentTarget.value)}>
                {FILTERS.map((f) => (
                  <option key={f} value={f}>
                    {t(`dash.members.${f}` as 'dash.members.email')}
                  </option>
                ))}
              </select>
            )}
          </Control>
          <Control label={t('dash.members.filter_value')} hint={tk(`dash.members.hint_${by}`)}>
            {(id, described) => (
              <input id={id} name="value" value={value} aria-describedby={described} onInput={(e) => setValue(e.currentTarget.value)} />
            )}
          </Control>
          <div class="dash-search-buttons">
            <Button type="submit">{t('dash.members.search')}</Button>
            <Button variant="secondary" onClick={clear}>
              {t('dash.members.clear')}
            </Button>
          </div>
        </form>
      </Card>
      <Card>
        {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
        <Table
          caption={t('dash.members.list')}
          rows={paged.rows}
          rowKey={(m) => m.id}
          empty={paged.loading ? t('common.loading') : t('dash.members.none')}
          columns={[
            {
              key: 'name',
              header: t('dash.members.name'),
              cell: (m) => (
                <Link href={`/members/${m.id}`}>
                  {memberName(m)}
                </Link>
              ),
            },
            { key: 'email', header: t('dash.members.email'), cell: (m) => m.email ?? '—' },
            { key: 'phone', header: t('dash.members.phone'), cell: (m) => m.phone ?? '—' },
            { key: 'card', header: t('dash.members.card_number'), cell: (m) => <span class="dash-mono">{m.card_number}</span> },
            { key: 'status', header: t('dash.status'), cell: (m) => <Badge status={m.status} /> },
            { key: 'enrolled', header: t('dash.members.enrolled_at'), cell: (m) => formatDate(m.enrolled_at, program.time_zone) },
          ]}
        />
        <Pager paged={paged} label={t('dash.members.pages')} />
      </Card>
    </>
  );
}
