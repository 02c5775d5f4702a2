// SPDX-License-Identifier: MIT
// Enrolling a customer on the spot (POST /v1/members): email, phone, name; then the new card
// number, large, with its QR code, and the sale can begin for the new member at once.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, newIdempotencyKey } from '../lib/api';
import { Alert, Button, Card, Field } from '../lib/components';
import { t } from '../lib/i18n';
import { formatCardNumber } from './codes';
import { memberName } from './MemberPanel';
import { refusal } from './program';
import type { TillState } from './Till';
import { go } from './Till';
import type { Member } from './types';

type FieldName = 'email' | 'phone' | 'first_name' | 'last_name';
type Errors = Partial<Record<FieldName | 'form', string>>;

// A phone as the API takes it (E.164): spaces, dots, dashes and brackets left out.
function phoneOf(text: string): string {
  return text.replace(/[\s().-]/g, '');
}

export function Enroll({ state }: { state: TillState }) {
  const [values, setValues] = useState<Record<FieldName, string>>({ email: '', phone: '', first_name: '', last_name: '' });
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const [member, setMember] = useState<Member | null>(null);
  const [attempt, setAttempt] = useState<{ key: string; idempotency: string } | null>(null);
  const first = useRef<HTMLFormElement>(null);
  const done = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (member === null) {
      first.current?.querySelector('input')?.focus();
    } else {
      done.current?.focus();
    }
  }, [member]);

  const set = (name: FieldName) => (value: string) => setValues({ ...values, [name]: value });

  const submit = async (event: Event) => {
    event.preventDefault();
    const found: Errors = {};
    const email = values.email.trim();
    const phone = phoneOf(values.phone);
    if (email !== '' && !/^[^\s@]+@[^\s@]+$/.test(email)) {
      found.email = t('till.enroll_email_invalid');
    }
    if (phone !== '' && !/^\+[1-9]\d{6,14}$/.test(phone)) {
      found.phone = t('till.enroll_phone_invalid');
    }
    if (email === '' && phone === '') {
      found.email = t('till.enroll_contact_required');
    }
    setErrors(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    const body: Record<string, string> = {};
    if (email !== '') body.email = email;
    if (phone !== '') body.phone = phone;
    if (values.first_name.trim() !== '') body.first_name = values.first_name.trim();
    if (values.last_name.trim() !== '') body.last_name = values.last_name.trim();
    const key = JSON.stringify(body);
    const idempotency = attempt?.key === key ? attempt.idempotency : newIdempotencyKey();
    setAttempt({ key, idempotency });
    setBusy(true);
    try {
      setMember(await api.post<Member>('/v1/members', body, { idempotencyKey: idempotency }));
      setAttempt(null);
    } catch (e) {
      const field = e instanceof ApiError ? e.field : undefined;
      const r = refusal(e);
      const text = e instanceof ApiError && e.status === 409 ? t('till.enroll_conflict') : r.detail ?? r.text;
      if (field === 'email' || field === 'phone' || field === 'first_name' || field === 'last_name') {
        setErrors({ [field]: text });
      } else {
        setErrors({ form: text });
      }
    } finally {
      setBusy(false);
    }
  };

  if (member !== null) {
    return (
      <>
        <h1>{t('till.enroll_title')}</h1>
        <section class="pt-card till-enrolled" aria-labelledby="till-enrolled">
          <h2 id="till-enrolled" ref={done} tabIndex={-1}>
            {t('till.enroll_done', { name: memberName(member) })}
          </h2>
          <p class="till-label">{t('till.member_card')}</p>
          <p class="till-big-card" data-testid="new-card-number">
            {formatCardNumber(member.card_number)}
          </p>
          <img
            class="till-qr"
            src={`/v1/members/${encodeURIComponent(member.id)}/card/qr.svg`}
            alt={t('till.enroll_qr_alt', { card: formatCardNumber(member.card_number) })}
            width={160}
            height={160}
          />
          <div class="till-actions">
            <Button
              onClick={() => {
                state.setMember(member);
                go('sale');
              }}
            >
              {t('till.enroll_start_sale')}
            </Button>
            <Button
              variant="secondary"
              onClick={() => {
                setMember(null);
                setValues({ email: '', phone: '', first_name: '', last_name: '' });
              }}
            >
              {t('till.enroll_another')}
            </Button>
          </div>
        </section>
      </>
    );
  }

  return (
    <>
      <h1>{t('till.enroll_title')}</h1>
      <Card>
        <form ref={first} onSubmit={submit} noValidate>
          <p class="pt-hint">{t('till.enroll_lead')}</p>
          {errors.form && <Alert>{errors.form}</Alert>}
          <Field label={t('till.enroll_first_name')} value={values.first_name} onValue={set('first_name')} error={errors.first_name} autocomplete="off" maxLength={100} />
          <Field label={t('till.enroll_last_name')} value={values.last_name} onValue={set('last_name')} error={errors.last_name} autocomplete="off" maxLength={100} />
          <Field label={t('till.enroll_email')} type="email" inputMode="email" value={values.email} onValue={set('email')} error={errors.email} autocomplete="off" maxLength={254} />
          <Field
            label={t('till.enroll_phone')}
            hint={t('till.enroll_phone_hint')}
            type="tel"
            inputMode="tel"
            value={values.phone}
            onValue={set('phone')}
            error={errors.phone}
            autocomplete="off"
          />
          <Button type="submit" busy={busy}>
            {busy ? t('till.enroll_busy') : t('till.enroll_submit')}
          </Button>
        </form>
      </Card>
    </>
  );
}
