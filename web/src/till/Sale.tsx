// SPDX-License-Identifier: MIT
// The sale: the member at the counter, the cart, what it will earn (evaluated again a moment
// after each change), and the purchase recorded with an Idempotency-Key, so that a double tap
// or a retry after a lost answer records it once; then what it earned.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, newIdempotencyKey } from '../lib/api';
import { Alert, Button, Card, Field } from '../lib/components';
import { formatDate, formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import type { Cart } from './cart';
import { EMPTY_CART, cartAmount, evaluationBody, purchasePayments, requestItems } from './cart';
import { CartEditor } from './CartEditor';
import { Evaluation } from './Evaluation';
import { MemberPanel, memberName } from './MemberPanel';
import { refusal } from './program';
import type { TillState } from './Till';
import { go, route } from './Till';
import type { CartAnswer, Purchase } from './types';

const EVALUATE_AFTER_MS = 250; // a pause in typing, not every key

type Evaluated =
  | { state: 'none' }
  | { state: 'busy'; key: string; answer: CartAnswer | null }
  | { state: 'done'; key: string; answer: CartAnswer }
  | { state: 'failed'; key: string; text: string; detail?: string };

// The live evaluation of the cart: the key of the cart it answers, so that an answer to a cart
// since changed is never taken for the current one.
function useEvaluation(cart: Cart, currency: string | undefined, memberId: string, enabled: boolean): Evaluated {
  const [evaluated, setEvaluated] = useState<Evaluated>({ state: 'none' });
  const body = evaluationBody(cart, currency, memberId);
  const key = JSON.stringify(body);
  useEffect(() => {
    if (!enabled || cart.lines.length === 0) {
      setEvaluated({ state: 'none' });
      return;
    }
    let live = true;
    setEvaluated((e) => ({ state: 'busy', key, answer: e.state === 'done' || e.state === 'busy' ? e.answer : null }));
    const timer = window.setTimeout(() => {
      api.post<CartAnswer>('/v1/carts/evaluate', body).then(
        (answer) => live && setEvaluated({ state: 'done', key, answer }),
        (e) => {
          if (live) {
            const r = refusal(e);
            setEvaluated({ state: 'failed', key, text: r.text, detail: r.detail });
          }
        },
      );
    }, EVALUATE_AFTER_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [key, enabled]);
  return evaluated;
}

function Result({ purchase, state, onNewSale }: { purchase: Purchase; state: TillState; onNewSale: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const issued = purchase.coupons_issued.filter((c) => c.code !== null);
  return (
    <section class="pt-card till-result-card" aria-labelledby="till-result-title">
      <h2 id="till-result-title" ref={heading} tabIndex={-1}>
        {t('till.result_title')}
      </h2>
      <dl class="till-facts">
        <div class="till-fact till-fact-points">
          <dt>{t('till.result_points')}</dt>
          <dd data-testid="result-points">{formatNumber(purchase.points_earned)}</dd>
        </div>
        <div class="till-fact">
          <dt>{t('till.result_balance')}</dt>
          <dd data-testid="result-balance">{formatNumber(purchase.balance.available)}</dd>
        </div>
        {purchase.points_pending > 0 && (
          <div class="till-fact">
            <dt>{t('till.member_pending')}</dt>
            <dd>{formatNumber(purchase.points_pending)}</dd>
          </div>
        )}
      </dl>
      {issued.length > 0 && (
        <>
          <h3 class="till-subhead">{t('till.result_coupons')}</h3>
          <ul class="till-issued">
            {issued.map((c) => (
              <li key={c.code!}>
                <span class="till-code">{c.code}</span>
                {c.expires_at && <span> · {t('till.coupon_valid_until', { date: formatDate(c.expires_at, state.program?.time_zone) })}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      {(purchase.stamp_cards ?? []).map((s) => (
        <p key={s.card_id}>
          {t('till.result_stamps', { name: s.name, stamps: formatNumber(s.progress ?? s.stamps) })}
          {(s.completed ?? 0) > 0 && ` ${t('till.result_card_completed', { count: s.completed ?? 0 })}`}
        </p>
      ))}
      <p class="pt-hint">
        {t('till.result_receipt', { receipt: purchase.external_id, id: purchase.id })}
      </p>
      <div class="till-actions">
        <Button onClick={onNewSale}>{t('till.result_new_sale')}</Button>
        <Button
          variant="secondary"
          onClick={() => {
            state.setLastPurchase(null);
            state.setMember(null);
            go('');
          }}
        >
          {t('till.result_next_customer')}
        </Button>
        <Button variant="secondary" onClick={() => route({ kind: 'purchase', value: purchase.id }, state.setCode)}>
          {t('till.result_return')}
        </Button>
      </div>
    </section>
  );
}

export function Sale({ state }: { state: TillState }) {
  const member = state.member;
  const currency = state.program?.currency;
  const [receipt, setReceipt] = useState('');
  const [attempt, setAttempt] = useState<{ key: string; idempotency: string } | null>(null);
  const [recording, setRecording] = useState(false);
  const [failure, setFailure] = useState<{ text: string; detail?: string } | null>(null);
  const [version, setVersion] = useState(0);
  const [showResult, setShowResult] = useState(false);
  const evaluated = useEvaluation(state.cart, currency, member?.id ?? '', member !== null && !state.readOnly);

  if (member === null) {
    return (
      <>
        <h1>{t('till.sale_title')}</h1>
        <Card>
          <p>{t('till.sale_no_member')}</p>
          <Button onClick={() => go('')}>{t('till.find_title')}</Button>
        </Card>
      </>
    );
  }

  const changeMember = () => {
    state.setMember(null);
    go('');
  };
  const purchase = showResult ? state.lastPurchase : null;
  const answer = evaluated.state === 'done' || evaluated.state === 'busy' ? evaluated.answer : null;
  const current = evaluated.state === 'done' ? evaluated : null;
  const ready = current !== null && currency !== undefined && !recording;

  const record = async () => {
    if (current === null || currency === undefined) {
      return;
    }
    // One key per cart: a second tap, or a retry after no answer, sends the same request with
    // the same key and the server records it once. A changed cart is another purchase.
    const cartKey = current.key + '\n' + receipt.trim();
    const idempotency = attempt?.key === cartKey ? attempt.idempotency : newIdempotencyKey();
    setAttempt({ key: cartKey, idempotency });
    setRecording(true);
    setFailure(null);
    try {
      const body = {
        external_id: receipt.trim() !== '' ? receipt.trim() : `till-${idempotency}`,
        member_id: member.id,
        currency,
        amount: cartAmount(state.cart.lines),
        items: requestItems(state.cart.lines),
        ...(state.cart.coupons.length > 0 ? { coupons: state.cart.coupons } : {}),
        payments: purchasePayments(state.cart, current.answer),
      };
      const p = await api.post<Purchase>('/v1/transactions', body, { idempotencyKey: idempotency });
      state.setLastPurchase(p);
      state.setCart(EMPTY_CART);
      setReceipt('');
      setAttempt(null);
      setShowResult(true);
      setVersion((v) => v + 1);
    } catch (e) {
      setFailure(refusal(e));
    } finally {
      setRecording(false);
    }
  };

  return (
    <>
      <h1 class="till-sr">{t('till.sale_title')}</h1>
      <div class="till-sale">
        <div class="till-sale-main">
          <MemberPanel member={member} program={state.program} version={version} onChange={changeMember} />
          {purchase !== null && <Result purchase={purchase} state={state} onNewSale={() => setShowResult(false)} />}
          {purchase === null && !state.readOnly && currency !== undefined && (
            <CartEditor cart={state.cart} setCart={state.setCart} currency={currency} answer={answer} />
          )}
        </div>
        {purchase === null && !state.readOnly && currency !== undefined && (
          <aside class="till-sale-side" aria-labelledby="till-eval-title">
            <section class="pt-card till-eval-card" aria-busy={evaluated.state === 'busy' ? 'true' : 'false'}>
              <h2 id="till-eval-title">{t('till.eval_title', { name: memberName(member) })}</h2>
              <div aria-live="polite">
                {evaluated.state === 'none' && <p class="pt-hint">{t('till.eval_empty')}</p>}
                {evaluated.state === 'failed' && (
                  <Alert>
                    {evaluated.text}
                    {evaluated.detail && <span class="till-detail">{evaluated.detail}</span>}
                  </Alert>
                )}
                {answer !== null && <Evaluation answer={answer} currency={currency} />}
              </div>
              {state.cart.lines.length > 0 && (
                <form
                  noValidate
                  onSubmit={(e) => {
                    e.preventDefault();
                    void record();
                  }}
                >
                  <Field
                    label={t('till.record_receipt')}
                    hint={t('till.record_receipt_hint')}
                    value={receipt}
                    onValue={setReceipt}
                    name="receipt"
                    autocomplete="off"
                    maxLength={128}
                  />
                  {failure && (
                    <Alert>
                      {failure.text}
                      {failure.detail && <span class="till-detail">{failure.detail}</span>}
                    </Alert>
                  )}
                  <Button type="submit" busy={recording} disabled={!ready}>
                    {recording ? t('till.record_busy') : t('till.record')}
                  </Button>
                </form>
              )}
            </section>
          </aside>
        )}
      </div>
    </>
  );
}
