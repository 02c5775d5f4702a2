// SPDX-License-Identifier: MIT
// Rules (docs/rules.md): the list with each rule's status; a new rule written as its JSON
// document (from a template) and saved as a draft; a rule's page with its figures, the
// actions activate / pause / archive, its document to change (a new version, PATCH as a merge
// patch), its versions, and the what-if simulation. The API's refusal names a field path; the
// editor marks that line and selects the field.
import { useState } from 'preact/hooks';
import { ApiError, api, newIdempotencyKey } from '../lib/api';
import { errorText } from '../lib/app';
import { Alert, Button, Card, Table } from '../lib/components';
import { formatDate, formatDateTime, formatMoney, formatNumber } from '../lib/format';
import { locale, t } from '../lib/i18n';
import { Link, navigate } from '../lib/router';
import { useDash } from './ctx';
import { isObject, mergePatch, pretty } from './json';
import { JsonEditor, parseDocument } from './JsonEditor';
import type { EditorError } from './JsonEditor';
import { Badge, ConfirmButton, Control, Facts, LoadError, Loading, PageHeader, Pager, Saved, useLoad, usePaged } from './ui';

export interface Rule {
  id: string;
  name: string;
  trigger: string;
  status: string;
  version: number;
  priority?: number;
  exclusive?: boolean;
  valid_from?: string | null;
  valid_to?: string | null;
  updated_by?: string | null;
  updated_at: string;
  created_at: string;
  points_issued?: number;
  uses?: number;
  amount_issued?: number;
  [field: string]: unknown;
}

// The fields the server keeps about a rule that are not its document.
const NOT_DOCUMENT = [
  'id', 'version', 'status', 'updated_by', 'updated_at', 'changed_by', 'changed_at', 'created_at', 'points_issued', 'uses', 'amount_issued',
];

// The order docs/rules.md writes a rule in; fields it does not name follow in the API's order.
const ORDER = ['name', 'description', 'public', 'trigger', 'priority', 'exclusive', 'conditions', 'items', 'effects'];

function documentOf(rule: Rule): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  const keys = Object.keys(rule).filter((k) => !NOT_DOCUMENT.includes(k));
  const rank = (k: string) => (ORDER.includes(k) ? ORDER.indexOf(k) : ORDER.length);
  for (const k of keys.sort((a, b) => rank(a) - rank(b))) {
    doc[k] = rule[k];
  }
  // Each effect with its type first: {"type": "award_points", "multiplier": 2}.
  if (Array.isArray(doc.effects)) {
    doc.effects = doc.effects.map((e: unknown) => (isObject(e) ? { type: e.type, ...e } : e));
  }
  return doc;
}

function templates(): { id: string; label: string; doc: Record<string, unknown> }[] {
  return [
    {
      id: 'weekend',
      label: t('dash.rules.tpl_weekend'),
      doc: {
        name: t('dash.rules.tpl_weekend'),
        trigger: 'purchase',
        conditions: { in: ['time.weekday', [6, 7]] },
        effects: [{ type: 'award_points', multiplier: 2 }],
        priority: 10,
      },
    },
    {
      id: 'threshold',
      label: t('dash.rules.tpl_threshold'),
      doc: {
        name: t('dash.rules.tpl_threshold'),
        trigger: 'purchase',
        conditions: { gte: ['cart.amount', 5000] },
        effects: [{ type: 'award_points', points: 100, per: 'purchase' }],
      },
    },
    {
      id: 'discount',
      label: t('dash.rules.tpl_discount'),
      doc: {
        name: t('dash.rules.tpl_discount'),
        trigger: 'purchase',
        items: { eq: ['item.category', 'coffee'] },
        effects: [{ type: 'discount', percent: 10 }],
      },
    },
    {
      id: 'activity',
      label: t('dash.rules.tpl_activity'),
      doc: {
        name: t('dash.rules.tpl_activity'),
        trigger: 'activity:review',
        effects: [{ type: 'award_points', points: 50 }],
        max_uses_per_member: 1,
      },
    },
  ];
}

export function Rules() {
  const { program, canWrite } = useDash();
  const [status, setStatus] = useState('');
  const paged = usePaged<Rule>('/v1/rules', { status: status || undefined });
  return (
    <>
      <PageHeader title={t('dash.rules.title')}>
        {canWrite && (
          <Button onClick={() => navigate('/rules/new')}>{t('dash.rules.new')}</Button>
        )}
      </PageHeader>
      <Card>
        <div class="dash-filters">
          <Control label={t('dash.rules.filter_status')}>
            {(id) => (
              <select id={id} value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
                <option value="">{t('dash.rules.all')}</option>
                {['draft', 'active', 'paused', 'archived'].map((s) => (
                  <option key={s} value={s}>
                    {t(`dash.status.${s}` as 'dash.status.active')}
                  </option>
                ))}
              </select>
            )}
          </Control>
        </div>
        {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
        <Table
          caption={t('dash.rules.list')}
          rows={paged.rows}
          rowKey={(r) => r.id}
          empty={paged.loading ? t('common.loading') : t('dash.rules.none')}
          columns={[
            { key: 'name', header: t('dash.rules.name'), cell: (r) => <Link href={`/rules/${r.id}`}>{r.name}</Link> },
            { key: 'status', header: t('dash.status'), cell: (r) => <Badge status={r.status} /> },
            { key: 'trigger', header: t('dash.rules.trigger'), cell: (r) => <code>{r.trigger}</code> },
            { key: 'priority', header: t('dash.rules.priority'), numeric: true, cell: (r) => formatNumber(r.priority ?? 0) },
            { key: 'issued', header: t('dash.rules.points_issued'), numeric: true, cell: (r) => formatNumber(r.points_issued ?? 0) },
            { key: 'uses', header: t('dash.rules.uses'), numeric: true, cell: (r) => formatNumber(r.uses ?? 0) },
            { key: 'version', header: t('dash.rules.version'), numeric: true, cell: (r) => formatNumber(r.version) },
            { key: 'updated', header: t('dash.updated_at'), cell: (r) => formatDate(r.updated_at, program.time_zone) },
          ]}
        />
        <Pager paged={paged} label={t('dash.rules.pages')} />
      </Card>
    </>
  );
}

// The API's refusal as an error of the editor: its field, relative to the document (a
// simulation's fields start with "rule." or "changes.").
function editorError(e: unknown): EditorError {
  if (e instanceof ApiError) {
    const path = e.field?.replace(/^(rule|changes)\./, '');
    return path && path !== 'rule' && path !== 'changes' ? { message: e.message, path } : { message: errorText(e) };
  }
  return { message: errorText(e) };
}

export function NewRule() {
  const { program } = useDash();
  const all = templates();
  const [text, setText] = useState(() => pretty(all[0]!.doc));
  const [error, setError] = useState<EditorError>();
  const [busy, setBusy] = useState(false);
  const [key] = useState(newIdempotencyKey);
  const save = async () => {
    const parsed = parseDocument(text);
    if (parsed.error) {
      setError(parsed.error);
      return;
    }
    setError(undefined);
    setBusy(true);
    try {
      const rule = await api.post<Rule>('/v1/rules', parsed.doc, { idempotencyKey: key + text.length + hash(text) });
      navigate(`/rules/${rule.id}`);
    } catch (e) {
      setError(editorError(e));
      setBusy(false);
    }
  };
  return (
    <>
      <p class="dash-back">
        <Link href="/rules">{t('dash.rules.back')}</Link>
      </p>
      <PageHeader title={t('dash.rules.new_title')} />
      <Card>
        <p class="pt-lead">{t('dash.rules.editor_lead')}</p>
        <Control label={t('dash.rules.template')} hint={t('dash.rules.template_hint')}>
          {(id, described) => (
            <select
              id={id}
              aria-describedby={described}
              onChange={(e) => {
                const tpl = all.find((x) => x.id === e.currentTarget.value);
                if (tpl) {
                  setText(pretty(tpl.doc));
                  setError(undefined);
                }
              }}
            >
              {all.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.label}
                </option>
              ))}
            </select>
          )}
        </Control>
        <JsonEditor label={t('dash.rules.document')} value={text} onValue={setText} error={error} />
        <div class="dash-actions">
          <Button busy={busy} onClick={save}>
            {t('dash.rules.save_draft')}
          </Button>
        </div>
      </Card>
      <Simulation program={program.currency} build={() => {
        const parsed = parseDocument(text);
        if (parsed.error) {
          setError(parsed.error);
          return null;
        }
        return { rule: parsed.doc };
      }} onFieldError={setError} />
    </>
  );
}

// A small, stable digest of a text: the same document retried keeps its Idempotency-Key, a
// changed one gets another (a key replays the first answer only for the same body).
function hash(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) {
    h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  }
  return (h >>> 0).toString(36);
}

interface SimResult {
  from: string;
  to: string;
  purchases: number;
  members_affected: number;
  actual_points: number;
  simulated_points: number;
  extra_points: number;
  cost: number;
}

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

// The what-if: replays the purchases of a period with the rule as written, and says what it
// would have given beside what was given.
function Simulation({
  program: currency,
  build,
  onFieldError,
}: {
  program: string;
  build: () => Record<string, unknown> | null;
  onFieldError: (e: EditorError) => void;
}) {
  const { canWrite } = useDash();
  const now = new Date();
  const [from, setFrom] = useState(isoDay(new Date(now.getTime() - 90 * 86400000)));
  const [to, setTo] = useState(isoDay(new Date(now.getTime() + 86400000)));
  const [result, setResult] = useState<SimResult>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (!canWrite) {
    return null;
  }
  const run = async (event: Event) => {
    event.preventDefault();
    const body = build();
    if (body === null) {
      return;
    }
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api.post<SimResult>('/v1/rules/simulate', { ...body, from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` }));
    } catch (e) {
      if (e instanceof ApiError && e.field && /^(rule|changes)\./.test(e.field)) {
        onFieldError(editorError(e));
      } else {
        setError(errorText(e));
      }
    } finally {
      setBusy(false);
    }
  };
  const pct =
    result && result.actual_points > 0
      ? new Intl.NumberFormat(locale(), { style: 'percent', signDisplay: 'exceptZero', maximumFractionDigits: 1 }).format(
          result.extra_points / result.actual_points,
        )
      : null;
  const widest = result ? Math.max(result.actual_points, result.simulated_points, 1) : 1;
  return (
    <Card title={t('dash.sim.title')}>
      <p class="pt-lead">{t('dash.sim.lead')}</p>
      <form class="dash-filters" onSubmit={run} noValidate>
        <Control label={t('dash.sim.from')}>
          {(id) => <input id={id} type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />}
        </Control>
        <Control label={t('dash.sim.to')}>
          {(id) => <input id={id} type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />}
        </Control>
        <div class="dash-search-buttons">
          <Button type="submit" busy={busy}>
            {t('dash.sim.run')}
          </Button>
        </div>
      </form>
      {error && <Alert>{error}</Alert>}
      {result && (
        <div class="dash-sim" role="status">
          <p class="dash-sim-summary">
            {t('dash.sim.summary', {
              purchases: formatNumber(result.purchases),
              members: formatNumber(result.members_affected),
              from: formatDate(from),
              to: formatDate(to),
            })}
          </p>
          <div class="dash-bars">
            <div>
              <span>{t('dash.sim.actual')}</span>
              <span class="dash-bar" ref={(el) => { if (el) el.style.width = `${(result.actual_points / widest) * 100}%`; }} />
              <strong>{formatNumber(result.actual_points)}</strong>
            </div>
            <div>
              <span>{t('dash.sim.simulated')}</span>
              <span class="dash-bar dash-bar-sim" ref={(el) => { if (el) el.style.width = `${(result.simulated_points / widest) * 100}%`; }} />
              <strong>{formatNumber(result.simulated_points)}</strong>
            </div>
          </div>
          <p class="dash-big">
            {result.extra_points >= 0
              ? t('dash.sim.extra', { points: formatNumber(result.extra_points) })
              : t('dash.sim.fewer', { points: formatNumber(-result.extra_points) })}
            {pct !== null && ` (${pct})`}
          </p>
          <p>{t('dash.sim.cost', { cost: formatMoney(result.cost, currency) })}</p>
        </div>
      )}
    </Card>
  );
}

// Who changed a rule: a user's name when the admin may read the users, else the id (a user's
// or an API key's).
function useWho(): (id: unknown) => string {
  const { canWrite } = useDash();
  const users = useLoad(
    () => (canWrite ? api.get<{ data: { id: string; name: string }[] }>('/v1/users', { limit: 200 }) : Promise.resolve({ data: [] })),
    [canWrite],
  );
  return (id) => {
    if (typeof id !== 'string') {
      return '—';
    }
    return users.data?.data.find((u) => u.id === id)?.name ?? id;
  };
}

function Versions({ id }: { id: string; version: number }) {
  const { program } = useDash();
  const who = useWho();
  const paged = usePaged<Rule>(`/v1/rules/${id}/versions`, {}, 10);
  return (
    <Card title={t('dash.rules.versions')}>
      {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
      <Table
        caption={t('dash.rules.versions')}
        rows={paged.rows}
        rowKey={(v) => String(v.version)}
        empty={paged.loading ? t('common.loading') : t('common.empty')}
        columns={[
          { key: 'v', header: t('dash.rules.version'), numeric: true, cell: (v) => formatNumber(v.version) },
          { key: 'status', header: t('dash.status'), cell: (v) => <Badge status={v.status} /> },
          // A version says who changed it and when (changed_by, changed_at).
          { key: 'by', header: t('dash.rules.updated_by'), cell: (v) => who(v.changed_by ?? v.updated_by) },
          { key: 'at', header: t('dash.updated_at'), cell: (v) => formatDateTime(String(v.changed_at ?? v.updated_at), program.time_zone) },
          {
            key: 'doc',
            header: t('dash.rules.document'),
            cell: (v) => (
              <details>
                <summary>{t('dash.rules.show_document')}</summary>
                <pre class="dash-pre">{pretty(documentOf(v))}</pre>
              </details>
            ),
          },
        ]}
      />
      <Pager paged={paged} label={t('dash.rules.versions')} />
    </Card>
  );
}

function RuleView({ rule, onChange }: { rule: Rule; onChange: (r: Rule) => void }) {
  const { program, canWrite } = useDash();
  const who = useWho();
  const tz = program.time_zone;
  const saved = documentOf(rule);
  const [text, setText] = useState(() => pretty(saved));
  const [error, setError] = useState<EditorError>();
  const [actionError, setActionError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string>();
  const editable = canWrite && rule.status !== 'archived';
  const act = async (action: 'activate' | 'pause' | 'archive') => {
    setActionError(undefined);
    setDone(undefined);
    try {
      onChange(await api.post<Rule>(`/v1/rules/${rule.id}/${action}`));
      setDone(t(`dash.rules.done_${action}`));
    } catch (e) {
      setActionError(errorText(e));
    }
  };
  const save = async () => {
    const parsed = parseDocument(text);
    if (parsed.error) {
      setError(parsed.error);
      return;
    }
    const patch = mergePatch(saved, parsed.doc);
    setError(undefined);
    setDone(undefined);
    if (patch === undefined) {
      setDone(t('dash.rules.unchanged'));
      return;
    }
    setBusy(true);
    try {
      const next = await api.patch<Rule>(`/v1/rules/${rule.id}`, patch);
      onChange(next);
      setText(pretty(documentOf(next)));
      setDone(t('dash.rules.saved_version', { version: next.version }));
    } catch (e) {
      setError(editorError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <p class="dash-back">
        <Link href="/rules">{t('dash.rules.back')}</Link>
      </p>
      <PageHeader title={rule.name}>
        <Badge status={rule.status} />
        {canWrite && (rule.status === 'draft' || rule.status === 'paused') && (
          <Button onClick={() => act('activate')}>{t('dash.rules.activate')}</Button>
        )}
        {canWrite && rule.status === 'active' && (
          <Button variant="secondary" onClick={() => act('pause')}>
            {t('dash.rules.pause')}
          </Button>
        )}
        {canWrite && rule.status !== 'archived' && (
          <ConfirmButton label={t('dash.rules.archive')} question={t('dash.rules.archive_confirm')} onConfirm={() => act('archive')} />
        )}
      </PageHeader>
      {actionError && <Alert>{actionError}</Alert>}
      {done && <Saved>{done}</Saved>}
      <Card title={t('dash.rules.figures')}>
        <Facts
          items={[
            [t('dash.rules.trigger'), <code>{rule.trigger}</code>],
            [t('dash.rules.version'), formatNumber(rule.version)],
            [t('dash.rules.priority'), formatNumber(rule.priority ?? 0)],
            [t('dash.rules.points_issued'), formatNumber(rule.points_issued ?? 0)],
            [t('dash.rules.uses'), formatNumber(rule.uses ?? 0)],
            [t('dash.rules.amount_issued'), formatMoney(rule.amount_issued ?? 0, program.currency)],
            [t('dash.rules.valid_from'), rule.valid_from ? formatDateTime(rule.valid_from, tz) : t('dash.rules.open')],
            [t('dash.rules.valid_to'), rule.valid_to ? formatDateTime(rule.valid_to, tz) : t('dash.rules.open')],
            [t('dash.rules.updated_by'), who(rule.updated_by)],
            [t('dash.updated_at'), formatDateTime(rule.updated_at, tz)],
          ]}
        />
      </Card>
      <Card>
        {editable && <p class="pt-lead">{t('dash.rules.edit_lead')}</p>}
        <JsonEditor label={t('dash.rules.document')} value={text} onValue={setText} error={error} readOnly={!editable} />
        {editable && (
          <div class="dash-actions">
            <Button busy={busy} onClick={save}>
              {t('dash.rules.save_version')}
            </Button>
          </div>
        )}
      </Card>
      <Simulation
        program={program.currency}
        build={() => {
          const parsed = parseDocument(text);
          if (parsed.error) {
            setError(parsed.error);
            return null;
          }
          const changes = mergePatch(saved, parsed.doc);
          return changes === undefined ? { rule_id: rule.id } : { rule_id: rule.id, changes };
        }}
        onFieldError={setError}
      />
      <Versions id={rule.id} version={rule.version} key={rule.version} />
    </>
  );
}

export function RulePage({ id }: { id: string }) {
  const [rule, setRule] = useState<Rule>();
  const loaded = useLoad(async () => {
    const r = await api.get<Rule>(`/v1/rules/${id}`);
    setRule(r);
    return r;
  }, [id]);
  if (rule !== undefined && rule.id === id) {
    return <RuleView key={rule.id} rule={rule} onChange={setRule} />;
  }
  return <Loading loaded={loaded}>{() => null}</Loading>;
}
