// SPDX-License-Identifier: MIT
// Building the cart at the counter: a line at a time (sku, name, category, quantity, unit
// price), or pasted whole as JSON from the till system; each line's quantity changed or the
// line removed; coupon codes given with the cart; how it is paid.
import { useRef, useState } from 'preact/hooks';
import { Button, Field } from '../lib/components';
import { formatMoney, formatNumber, parseMoney } from '../lib/format';
import { t } from '../lib/i18n';
import type { Cart, CartLine, PasteError } from './cart';
import { MAX_COUPONS, MAX_LINES, MAX_TEXT, addLine, isPasteError, parsePastedCart, setQuantity } from './cart';
import { canonicalCoupon, printCoupon } from './codes';
import { reasonText } from './program';
import { ScanButton } from './Scanner';
import type { CartAnswer } from './types';

interface Props {
  cart: Cart;
  setCart: (cart: Cart) => void;
  currency: string;
  answer: CartAnswer | null;
}

interface LineErrors {
  sku?: string;
  quantity?: string;
  price?: string;
}

function AddLine({ cart, setCart, currency }: Omit<Props, 'answer'>) {
  const [sku, setSku] = useState('');
  const [name, setName] = useState('');
  const [category, setCategory] = useState('');
  const [quantity, setQuantityText] = useState('1');
  const [price, setPrice] = useState('');
  const [errors, setErrors] = useState<LineErrors>({});
  const form = useRef<HTMLFormElement>(null);

  const submit = (event: Event) => {
    event.preventDefault();
    const found: LineErrors = {};
    const bytes = (s: string) => new TextEncoder().encode(s).length;
    if (sku.trim() === '') {
      found.sku = t('common.required');
    } else if (bytes(sku.trim()) > MAX_TEXT) {
      found.sku = t('till.line_too_long', { max: MAX_TEXT });
    }
    const q = /^\d{1,6}$/.test(quantity.trim()) ? Number(quantity.trim()) : 0;
    if (q < 1) {
      found.quantity = t('till.line_quantity_invalid');
    }
    const unitPrice = parseMoney(price, currency);
    if (price.trim() === '') {
      found.price = t('common.required');
    } else if (unitPrice === null) {
      found.price = t('till.line_price_invalid', { example: formatMoney(1250, currency) });
    }
    if (cart.lines.length >= MAX_LINES) {
      found.sku = t('till.paste_too_many', { max: MAX_LINES });
    }
    setErrors(found);
    if (found.sku || found.quantity || found.price) {
      return;
    }
    const line: CartLine = {
      sku: sku.trim(),
      name: name.trim(),
      category: category.trim().slice(0, MAX_TEXT),
      quantity: q,
      unit_price: unitPrice!,
    };
    setCart({ ...cart, lines: addLine(cart.lines, line) });
    setSku('');
    setName('');
    setCategory('');
    setQuantityText('1');
    setPrice('');
    // The next line starts at its first field, as at a till.
    form.current?.querySelector<HTMLInputElement>('input')?.focus();
  };

  return (
    <form ref={form} onSubmit={submit} noValidate class="till-add-line" aria-label={t('till.line_add_title')}>
      <div class="till-line-fields">
        <Field label={t('till.line_sku')} value={sku} onValue={setSku} error={errors.sku} name="sku" autocomplete="off" />
        <Field label={t('till.line_name')} value={name} onValue={setName} name="name" autocomplete="off" />
        <Field label={t('till.line_category')} value={category} onValue={setCategory} name="category" autocomplete="off" />
        <Field
          label={t('till.line_quantity')}
          value={quantity}
          onValue={setQuantityText}
          error={errors.quantity}
          name="quantity"
          inputMode="numeric"
          autocomplete="off"
        />
        <Field
          label={t('till.line_price', { currency })}
          value={price}
          onValue={setPrice}
          error={errors.price}
          name="unit_price"
          inputMode="decimal"
          autocomplete="off"
        />
      </div>
      <Button type="submit">{t('till.line_add')}</Button>
    </form>
  );
}

function Lines({ cart, setCart, currency, answer }: Props) {
  if (cart.lines.length === 0) {
    return <p class="till-empty">{t('till.cart_empty')}</p>;
  }
  // A list, not a table: on a phone each line is two rows (what it is; then its quantity,
  // total and removal), on a wider screen one.
  return (
    <ul class="till-cart-lines" aria-label={t('till.cart_lines')}>
      {cart.lines.map((line, i) => {
        const label = line.name !== '' ? line.name : line.sku;
        const discount = answer?.lines?.[i]?.discount ?? 0;
        const change = (q: number) => setCart({ ...cart, lines: setQuantity(cart.lines, i, q) });
        return (
          <li key={`${line.sku}/${i}`} class="till-cart-line">
            <span class="till-line-info">
              <span class="till-line-name">{label}</span>
              <span class="till-line-meta">
                {line.sku}
                {line.category !== '' ? ` · ${line.category}` : ''}
              </span>
            </span>
            <span class="till-stepper">
              <button
                type="button"
                class="till-icon-button"
                aria-label={t('till.line_less', { name: label })}
                onClick={() => change(line.quantity - 1)}
              >
                −
              </button>
              <output aria-label={t('till.line_quantity_of', { name: label })}>{formatNumber(line.quantity)}</output>
              <button
                type="button"
                class="till-icon-button"
                aria-label={t('till.line_more', { name: label })}
                onClick={() => change(line.quantity + 1)}
              >
                +
              </button>
            </span>
            <span class="till-line-sum">
              <span class="till-line-total">{formatMoney(line.quantity * line.unit_price, currency)}</span>
              <span class="till-line-meta">
                {formatNumber(line.quantity)} × {formatMoney(line.unit_price, currency)}
              </span>
              {discount > 0 && <span class="till-line-discount">−{formatMoney(discount, currency)}</span>}
            </span>
            <button
              type="button"
              class="till-icon-button till-remove"
              aria-label={t('till.line_remove', { name: label })}
              onClick={() => change(0)}
            >
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function pasteMessage(e: PasteError): string {
  switch (e.key) {
    case 'till.paste_too_many':
      return t(e.key, { max: e.max });
    case 'till.paste_bad_line':
      return t(e.key, { line: e.line, field: e.field });
    default:
      return t(e.key);
  }
}

function Paste({ cart, setCart }: Pick<Props, 'cart' | 'setCart'>) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>();
  const details = useRef<HTMLDetailsElement>(null);
  const use = () => {
    const pasted = parsePastedCart(text);
    if (isPasteError(pasted)) {
      setError(pasteMessage(pasted));
      return;
    }
    setError(undefined);
    const coupons = [...cart.coupons];
    for (const c of pasted.coupons) {
      if (!coupons.includes(c) && coupons.length < MAX_COUPONS) {
        coupons.push(c);
      }
    }
    setCart({ ...cart, lines: pasted.lines, coupons });
    setText('');
    details.current?.removeAttribute('open');
  };
  return (
    <details ref={details} class="till-paste">
      <summary>{t('till.paste_title')}</summary>
      <div class={error ? 'pt-field pt-field-invalid' : 'pt-field'}>
        <label for="till-paste">{t('till.paste_label')}</label>
        <p class="pt-hint" id="till-paste-hint">
          {t('till.paste_hint')}
        </p>
        <textarea
          id="till-paste"
          rows={5}
          spellcheck={false}
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'till-paste-hint till-paste-error' : 'till-paste-hint'}
        />
        {error && (
          <p class="pt-error" id="till-paste-error">
            {error}
          </p>
        )}
      </div>
      <Button variant="secondary" onClick={use}>
        {t('till.paste_use')}
      </Button>
    </details>
  );
}

function Coupons({ cart, setCart, answer }: Omit<Props, 'currency'>) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | undefined>();
  const add = (text: string) => {
    const canonical = canonicalCoupon(text);
    const value = canonical !== null ? printCoupon(canonical) : text.trim();
    if (value === '') {
      setError(t('common.required'));
      return;
    }
    if (cart.coupons.length >= MAX_COUPONS) {
      setError(t('till.coupon_too_many', { max: MAX_COUPONS }));
      return;
    }
    setError(undefined);
    setCode('');
    if (!cart.coupons.includes(value)) {
      setCart({ ...cart, coupons: [...cart.coupons, value] });
    }
  };
  return (
    <div class="till-cart-coupons">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          add(code);
        }}
      >
        <div class={error ? 'pt-field pt-field-invalid' : 'pt-field'}>
          <label for="till-cart-coupon">{t('till.cart_coupon_label')}</label>
          <div class="till-inline">
            <input
              id="till-cart-coupon"
              autocomplete="off"
              autocapitalize="characters"
              value={code}
              onInput={(e) => setCode(e.currentTarget.value)}
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={error ? 'till-cart-coupon-error' : undefined}
            />
            <Button type="submit" variant="secondary">
              {t('till.cart_coupon_add')}
            </Button>
          </div>
          {error && (
            <p class="pt-error" id="till-cart-coupon-error">
              {error}
            </p>
          )}
        </div>
      </form>
      {cart.coupons.length > 0 && (
        <ul class="till-chips" aria-label={t('till.cart_coupons')}>
          {cart.coupons.map((c) => {
            const judged = answer?.coupons.find((a) => canonicalCoupon(a.code) === canonicalCoupon(c) || a.code === c);
            const why = judged && !judged.applied ? (reasonText(judged.reason) ?? judged.reason) : null;
            return (
              <li key={c} class={judged && !judged.applied ? 'till-chip till-chip-refused' : 'till-chip'}>
                <span class="till-code">{c}</span>
                {judged?.applied && <span class="till-chip-state">{t('till.cart_coupon_applied')}</span>}
                {why && <span class="till-chip-state">{why}</span>}
                <button
                  type="button"
                  class="till-icon-button"
                  aria-label={t('till.cart_coupon_remove', { code: c })}
                  onClick={() => setCart({ ...cart, coupons: cart.coupons.filter((x) => x !== c) })}
                >
                  ×
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <ScanButton title={t('till.scan_coupon_title')} onCode={add} />
    </div>
  );
}

function Payment({ cart, setCart, answer }: Omit<Props, 'currency'>) {
  const max = answer?.points_payment?.max_points ?? 0;
  const [points, setPoints] = useState(cart.points > 0 ? String(cart.points) : '');
  const [error, setError] = useState<string | undefined>();
  const changePoints = (text: string) => {
    setPoints(text);
    const n = text.trim() === '' ? 0 : /^\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : -1;
    if (n < 0 || n > max) {
      setError(t('till.pay_points_invalid', { max: formatNumber(max) }));
      return;
    }
    setError(undefined);
    setCart({ ...cart, points: n });
  };
  return (
    <div class="till-payment">
      <div class="pt-field">
        <label for="till-pay-method">{t('till.pay_method')}</label>
        <select
          id="till-pay-method"
          value={cart.method}
          onChange={(e) => setCart({ ...cart, method: e.currentTarget.value as Cart['method'] })}
        >
          {(['card', 'cash', 'wallet', 'other'] as const).map((m) => (
            <option key={m} value={m}>
              {t(`till.pay.${m}`)}
            </option>
          ))}
        </select>
      </div>
      {(max > 0 || cart.points > 0) && (
        <Field
          label={t('till.pay_points')}
          hint={t('till.pay_points_hint', { max: formatNumber(max) })}
          value={points}
          onValue={changePoints}
          error={error}
          inputMode="numeric"
          autocomplete="off"
        />
      )}
    </div>
  );
}

export function CartEditor(props: Props) {
  return (
    <section class="pt-card" aria-labelledby="till-cart-title">
      <h2 id="till-cart-title">{t('till.cart_title')}</h2>
      <AddLine cart={props.cart} setCart={props.setCart} currency={props.currency} />
      <Paste cart={props.cart} setCart={props.setCart} />
      <Lines {...props} />
      {props.cart.lines.length > 0 && (
        <Button variant="secondary" onClick={() => props.setCart({ ...props.cart, lines: [], coupons: [], points: 0 })}>
          {t('till.cart_clear')}
        </Button>
      )}
      <h3 class="till-subhead">{t('till.cart_coupons')}</h3>
      <Coupons cart={props.cart} setCart={props.setCart} answer={props.answer} />
      <h3 class="till-subhead">{t('till.pay_title')}</h3>
      <Payment cart={props.cart} setCart={props.setCart} answer={props.answer} />
    </section>
  );
}
