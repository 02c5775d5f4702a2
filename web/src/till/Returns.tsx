// SPDX-License-Identifier: MIT
// Returns: find the purchase (its id typed or scanned off the receipt, the one just recorded,
// or one of the member's recent purchases), choose how many units of each line come back (or
// all of them), and record the return (POST /v1/transactions/{id}/returns, with an
// Idempotency-Key); the screen then shows the points taken back and the new balance.
//
// GET /v1/transactions/{id} (each line with what returns already took) and GET
// /v1/members/{id}/purchases are newer than the return route: on a server without them the
// purchase just recorded still shows its lines, and any other is returned by lines typed here
// (sku and quantity) or by an amount.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, newIdempotencyKey } from '../lib/api';
import { Alert, Button, Card, Field } from '../lib/components';
import { formatDate, formatDateTime, formatMoney, formatNumber, parseMoney } from '../lib/format';
import { t } from '../lib/i18n';
import { classify } from './codes';
import { refusal } from './program';
import { ScanButton } from './Scanner';
import type { TillState } from './Till';
import type { Page, Purchase, PurchaseItem, Return } from './types';

interface ReadItem extends PurchaseItem {
  returned_quantity?: number;
}

interface PurchaseRead extends Omit<Purchase, 'items'> {
  items: ReadItem[];
  status?: 'completed' | 'partially_returned' | 'returned';
  returned_amount?: number;
}

interface PurchaseSummary {
  id: string;
  external_id: string;
  occurred_at: string;
  currency: string;
  amount: number;
  item_count: number;
  points_earned: number;
  status: 'completed' | 'partially_returned' | 'returned';
}

// A 404 for the route itself (an older server), not for the purchase.
function routeMissing(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && /no such route/.test(e.message);
}

function Recent({ memberId, onPick, currency }: { memberId: string; onPick: (id: string) => void; currency?: string }) {
  const [rows, setRows] = useState<PurchaseSummary[] | null>(null);
  useEffect(() => {
    api.get<Page<PurchaseSummary>>(`/v1/members/${encodeURIComponent(memberId)}/purchases`, { limit: 10 }).then(
      (page) => setRows(page.data),
      () => setRows(null), // an older server: no list
    );
  }, [memberId]);
  if (rows === null) {
    return null;
  }
  return (
    <Card title={t('till.return_recent')}>
      {rows.length === 0 && <p>{t('till.return_recent_none')}</p>}
      <ul class="till-results">
        {rows.map((p) => (
          <li key={p.id}>
            <button type="button" class="till-result" onClick={() => onPick(p.id)} disabled={p.status === 'returned'}>
              <span class="till-result-name">
                {formatDate(p.occurred_at)} · {formatMoney(p.amount, p.currency ?? currency)}
              </span>
              <span class="till-result-meta">
                {p.external_id} · {t('till.return_items', { count: p.item_count, items: formatNumber(p.item_count) })} ·{' '}
                {t(`till.purchase_status.${p.status}`)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </Card>
  );
}

interface ManualLine {
  sku: string;
  quantity: string;
}

export function Returns({ state }: { state: TillState }) {
  const [id, setId] = useState('');
  const [idError, setIdError] = useState<string | undefined>();
  const [purchase, setPurchase] = useState<PurchaseRead | null>(null);
  const [manual, setManual] = useState<string | null>(null); // a purchase id without its lines
  const [counts, setCounts] = useState<number[]>([]);
  const [manualLines, setManualLines] = useState<ManualLine[]>([{ sku: '', quantity: '1' }]);
  const [amount, setAmount] = useState('');
  const [loading, setLoading] = useState(false);
  const [failure, setFailure] = useState<{ text: string; detail?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Return | null>(null);
  const [attempt, setAttempt] = useState<{ key: string; idempotency: string } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const currency = purchase?.currency ?? state.program?.currency;

  const open = async (text: string) => {
    const code = classify(text);
    const value = code.kind === 'purchase' ? code.value : text.trim();
    setId(value);
    setResult(null);
    setFailure(null);
    setPurchase(null);
    setManual(null);
    if (value === '') {
      setIdError(t('common.required'));
      input.current?.focus();
      return;
    }
    if (code.kind !== 'purchase') {
      setIdError(t('till.return_id_invalid'));
      return;
    }
    setIdError(undefined);
    setLoading(true);
    try {
      const p = await api.get<PurchaseRead>(`/v1/transactions/${encodeURIComponent(value)}`);
      setPurchase(p);
      setCounts(p.items.map(() => 0));
    } catch (e) {
      if (routeMissing(e)) {
        const last = state.lastPurchase;
        if (last !== null && last.id === value) {
          setPurchase(last);
          setCounts(last.items.map(() => 0));
        } else {
          setManual(value);
        }
      } else {
        setFailure(refusal(e));
      }
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    if (state.code?.kind === 'purchase') {
      const value = state.code.value;
      state.setCode(null);
      void open(value);
    } else {
      input.current?.focus();
    }
  }, [state.code]);

  const returnable = (item: ReadItem) => item.quantity - (item.returned_quantity ?? 0);

  const submit = async () => {
    const target = purchase?.id ?? manual;
    if (target === null) {
      return;
    }
    let body: { external_id: string; items?: { sku: string; quantity: number }[]; amount?: number };
    if (purchase !== null) {
      const bySku = new Map<string, number>();
      purchase.items.forEach((item, i) => {
        if ((counts[i] ?? 0) > 0) {
          bySku.set(item.sku, (bySku.get(item.sku) ?? 0) + counts[i]!);
        }
      });
      if (bySku.size === 0) {
        setFailure({ text: t('till.return_nothing') });
        return;
      }
      body = { external_id: '', items: [...bySku].map(([sku, quantity]) => ({ sku, quantity })) };
    } else {
      const lines = manualLines.filter((l) => l.sku.trim() !== '');
      const minor = amount.trim() !== '' && currency !== undefined ? parseMoney(amount, currency) : null;
      if (lines.length > 0) {
        if (lines.some((l) => !/^\d{1,6}$/.test(l.quantity.trim()) || Number(l.quantity) < 1)) {
          setFailure({ text: t('till.line_quantity_invalid') });
          return;
        }
        body = { external_id: '', items: lines.map((l) => ({ sku: l.sku.trim(), quantity: Number(l.quantity) })) };
      } else if (minor !== null && minor > 0) {
        body = { external_id: '', amount: minor };
      } else {
        setFailure({ text: t('till.return_nothing') });
        return;
      }
    }
    const key = target + JSON.stringify(body);
    const idempotency = attempt?.key === key ? attempt.idempotency : newIdempotencyKey();
    setAttempt({ key, idempotency });
    body.external_id = `till-return-${idempotency}`;
    setBusy(true);
    setFailure(null);
    try {
      const r = await api.post<Return>(`/v1/transactions/${encodeURIComponent(target)}/returns`, body, {
        idempotencyKey: idempotency,
      });
      setResult(r);
      setAttempt(null);
    } catch (e) {
      setFailure(refusal(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>{t('till.returns_title')}</h1>
      <Card>
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void open(id);
          }}
        >
          <div class={idError ? 'pt-field pt-field-invalid' : 'pt-field'}>
            <label for="till-return-id">{t('till.return_id_label')}</label>
            <p class="pt-hint" id="till-return-id-hint">
              {t('till.return_id_hint')}
            </p>
            <div class="till-inline">
              <input
                ref={input}
                id="till-return-id"
                autocomplete="off"
                spellcheck={false}
                value={id}
                onInput={(e) => setId(e.currentTarget.value)}
                aria-invalid={idError ? 'true' : undefined}
                aria-describedby={idError ? 'till-return-id-hint till-return-id-error' : 'till-return-id-hint'}
              />
              <Button type="submit" busy={loading}>
                {t('till.return_open')}
              </Button>
            </div>
            {idError && (
              <p class="pt-error" id="till-return-id-error">
                {idError}
              </p>
            )}
          </div>
          <ScanButton title={t('till.scan_receipt_title')} onCode={(text) => void open(text)} />
        </form>
      </Card>
      {state.lastPurchase !== null && purchase === null && manual === null && result === null && (
        <p>
          <Button variant="secondary" onClick={() => void open(state.lastPurchase!.id)}>
            {t('till.return_last', {
              amount: formatMoney(state.lastPurchase.amount, state.lastPurchase.currency),
              time: formatDateTime(state.lastPurchase.occurred_at, state.program?.time_zone),
            })}
          </Button>
        </p>
      )}
      {state.member !== null && purchase === null && manual === null && result === null && (
        <Recent memberId={state.member.id} currency={currency} onPick={(pid) => void open(pid)} />
      )}
      <div aria-live="polite">
        {result === null && failure && (
          <Alert>
            {failure.text}
            {failure.detail && <span class="till-detail">{failure.detail}</span>}
          </Alert>
        )}
        {result !== null && currency !== undefined && <ReturnResult result={result} currency={currency} />}
      </div>
      {result === null && purchase !== null && currency !== undefined && (
        <section class="pt-card" aria-labelledby="till-return-lines">
          <h2 id="till-return-lines">
            {t('till.return_purchase', { date: formatDate(purchase.occurred_at, state.program?.time_zone), receipt: purchase.external_id })}
          </h2>
          <p class="pt-hint">
            {formatMoney(purchase.amount, currency)} · {t('till.result_points')}: {formatNumber(purchase.points_earned)}
          </p>
          <ul class="till-return-lines">
            {purchase.items.map((item, i) => {
              const max = returnable(item);
              const label = item.name ?? item.sku;
              const set = (n: number) => setCounts(counts.map((c, j) => (j === i ? Math.max(0, Math.min(max, n)) : c)));
              return (
                <li key={i}>
                  <span class="till-line-name">{label}</span>
                  <span class="till-line-meta">
                    {item.sku} · {formatMoney(item.unit_price, currency)} ·{' '}
                    {t('till.return_bought', { bought: formatNumber(item.quantity), left: formatNumber(max) })}
                  </span>
                  <span class="till-stepper">
                    <button type="button" class="till-icon-button" aria-label={t('till.line_less', { name: label })} onClick={() => set((counts[i] ?? 0) - 1)} disabled={max === 0}>
                      −
                    </button>
                    <output aria-label={t('till.return_count', { name: label })}>{formatNumber(counts[i] ?? 0)}</output>
                    <button type="button" class="till-icon-button" aria-label={t('till.line_more', { name: label })} onClick={() => set((counts[i] ?? 0) + 1)} disabled={max === 0}>
                      +
                    </button>
                  </span>
                </li>
              );
            })}
          </ul>
          <div class="till-actions">
            <Button variant="secondary" onClick={() => setCounts(purchase.items.map(returnable))}>
              {t('till.return_all')}
            </Button>
            <Button busy={busy} onClick={() => void submit()}>
              {busy ? t('till.return_busy') : t('till.return_submit')}
            </Button>
          </div>
        </section>
      )}
      {result === null && manual !== null && (
        <section class="pt-card" aria-labelledby="till-return-manual">
          <h2 id="till-return-manual">{t('till.return_manual_title', { id: manual })}</h2>
          <p class="pt-hint">{t('till.return_manual_hint')}</p>
          {manualLines.map((line, i) => (
            <div class="till-line-fields till-manual-line" key={i}>
              <Field
                label={t('till.line_sku')}
                value={line.sku}
                onValue={(v) => setManualLines(manualLines.map((l, j) => (j === i ? { ...l, sku: v } : l)))}
                autocomplete="off"
              />
              <Field
                label={t('till.line_quantity')}
                value={line.quantity}
                onValue={(v) => setManualLines(manualLines.map((l, j) => (j === i ? { ...l, quantity: v } : l)))}
                inputMode="numeric"
                autocomplete="off"
              />
            </div>
          ))}
          <Button variant="secondary" onClick={() => setManualLines([...manualLines, { sku: '', quantity: '1' }])}>
            {t('till.return_manual_add')}
          </Button>
          {currency !== undefined && (
            <Field
              label={t('till.return_amount', { currency })}
              hint={t('till.return_amount_hint')}
              value={amount}
              onValue={setAmount}
              inputMode="decimal"
              autocomplete="off"
            />
          )}
          <Button busy={busy} onClick={() => void submit()}>
            {busy ? t('till.return_busy') : t('till.return_submit')}
          </Button>
        </section>
      )}
    </>
  );
}

function ReturnResult({ result, currency }: { result: Return; currency: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <section class="pt-card till-result-card" aria-labelledby="till-return-done">
      <h2 id="till-return-done" ref={heading} tabIndex={-1}>
        {t('till.return_done')}
      </h2>
      <dl class="till-facts">
        <div class="till-fact">
          <dt>{t('till.return_refund')}</dt>
          <dd data-testid="return-amount">{formatMoney(result.amount, currency)}</dd>
        </div>
        <div class="till-fact till-fact-points">
          <dt>{t('till.return_points')}</dt>
          <dd data-testid="return-points">{formatNumber(result.points_reversed + result.reward_points_reversed)}</dd>
        </div>
        <div class="till-fact">
          <dt>{t('till.result_balance')}</dt>
          <dd data-testid="return-balance">{formatNumber(result.balance.available)}</dd>
        </div>
      </dl>
      {result.points_owed > 0 && <p>{t('till.return_owed', { points: formatNumber(result.points_owed) })}</p>}
      {result.refunds.length > 0 && (
        <ul class="till-breakdown">
          {result.refunds.map((r, i) => (
            <li key={i}>
              <span>{t(`till.pay.${r.method}`)}</span>
              <span>{r.method === 'points' ? t('till.eval_rule_points', { points: formatNumber(r.points) }) : formatMoney(r.amount, currency)}</span>
            </li>
          ))}
        </ul>
      )}
      {result.coupons_taken_back.length > 0 && (
        <p>
          {t('till.return_coupons_back', {
            codes: result.coupons_taken_back.map((c) => c.code ?? '').join(', '),
          })}
        </p>
      )}
    </section>
  );
}
