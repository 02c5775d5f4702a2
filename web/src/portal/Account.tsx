// SPDX-License-Identifier: MIT
// Account: the member's profile (the fields a member may change: names, phone, birth date, the
// language of messages), consents and notification preferences (email, SMS, push), the
// password, "download my data" (GET /v1/members/{id}/export saved as a .json file), sign-out.
import { useId, useState } from 'preact/hooks';
import { ApiError } from '../lib/api';
import { SignOutButton } from '../lib/app';
import { Alert, Button, Card, Field } from '../lib/components';
import { LOCALES, LOCALE_NAMES, t } from '../lib/i18n';
import type { Consents, FullMember, ProfilePatch } from './api';
import { portalApi } from './api';
import { LoadError, Shell, Spinner } from './Shell';
import { portalError, useLoad, useMember, usePortal } from './state';
import { cardNumber } from './text';

export const PHONE_PATTERN = /^\+[1-9][0-9]{6,14}$/;
export const PASSWORD_MIN = 10;

export function Checkbox({
  label,
  hint,
  checked,
  onChange,
  name,
}: {
  label: string;
  hint?: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  name?: string;
}) {
  const id = useId();
  return (
    <div class="pp-check">
      <input
        id={id}
        type="checkbox"
        name={name}
        checked={checked}
        onChange={(e) => onChange(e.currentTarget.checked)}
        aria-describedby={hint ? `${id}-hint` : undefined}
      />
      <label for={id}>{label}</label>
      {hint && (
        <p class="pt-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

export function ConsentBoxes({ value, onChange }: { value: Consents; onChange: (c: Consents) => void }) {
  return (
    <fieldset class="pp-fieldset">
      <legend>{t('portal.consents.legend')}</legend>
      <p class="pt-hint">{t('portal.consents.hint')}</p>
      <Checkbox label={t('portal.consents.email')} name="consent-email" checked={value.email} onChange={(email) => onChange({ ...value, email })} />
      <Checkbox label={t('portal.consents.sms')} name="consent-sms" checked={value.sms} onChange={(sms) => onChange({ ...value, sms })} />
      <Checkbox label={t('portal.consents.push')} name="consent-push" checked={value.push} onChange={(push) => onChange({ ...value, push })} />
    </fieldset>
  );
}

type ProfileErrors = Partial<Record<'first_name' | 'last_name' | 'phone' | 'birth_date' | 'locale' | 'form', string>>;

function Profile({ member, onSaved }: { member: FullMember; onSaved: (m: FullMember) => void }) {
  const localeId = useId();
  const [first, setFirst] = useState(member.first_name ?? '');
  const [last, setLast] = useState(member.last_name ?? '');
  const [phone, setPhone] = useState(member.phone ?? '');
  const [birth, setBirth] = useState(member.birth_date ?? '');
  const [lang, setLang] = useState(member.locale ?? '');
  const [consents, setConsents] = useState<Consents>({
    email: member.consents?.email === true,
    sms: member.consents?.sms === true,
    push: member.consents?.push === true,
  });
  const [errors, setErrors] = useState<ProfileErrors>({});
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const save = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    const p = phone.trim();
    if (p !== '' && !PHONE_PATTERN.test(p)) {
      setErrors({ phone: t('portal.field.phone_invalid') });
      return;
    }
    const patch: ProfilePatch = {};
    const text = (v: string) => (v.trim() === '' ? null : v.trim());
    if (text(first) !== (member.first_name ?? null)) patch.first_name = text(first);
    if (text(last) !== (member.last_name ?? null)) patch.last_name = text(last);
    if (text(p) !== (member.phone ?? null)) patch.phone = text(p);
    if (text(birth) !== (member.birth_date ?? null)) patch.birth_date = text(birth);
    if (text(lang) !== (member.locale ?? null)) patch.locale = text(lang);
    const before = member.consents ?? {};
    if (consents.email !== (before.email === true) || consents.sms !== (before.sms === true) || consents.push !== (before.push === true)) {
      patch.consents = consents;
    }
    setErrors({});
    if (Object.keys(patch).length === 0) {
      setSaved(true);
      return;
    }
    setBusy(true);
    try {
      onSaved(await portalApi.patchMember(member.id, patch));
      setSaved(true);
    } catch (e) {
      const field = e instanceof ApiError ? e.field : undefined;
      if (field && ['first_name', 'last_name', 'phone', 'birth_date', 'locale'].includes(field)) {
        setErrors({ [field]: portalError(e) });
      } else {
        setErrors({ form: portalError(e) });
      }
    }
    setBusy(false);
  };
  return (
    <Card title={t('portal.account.profile')}>
      <dl class="pp-facts">
        <div>
          <dt>{t('portal.home.card_number')}</dt>
          <dd>{cardNumber(member.card_number)}</dd>
        </div>
        {member.email && (
          <div>
            <dt>{t('portal.field.email')}</dt>
            <dd>{member.email}</dd>
          </div>
        )}
      </dl>
      <form onSubmit={save} noValidate>
        {errors.form && <Alert>{errors.form}</Alert>}
        <Field label={t('portal.field.first_name')} name="first_name" autocomplete="given-name" value={first} onValue={setFirst} error={errors.first_name} maxLength={100} />
        <Field label={t('portal.field.last_name')} name="last_name" autocomplete="family-name" value={last} onValue={setLast} error={errors.last_name} maxLength={100} />
        <Field
          label={t('portal.field.phone')}
          hint={t('portal.field.phone_hint')}
          type="tel"
          name="phone"
          autocomplete="tel"
          inputMode="tel"
          value={phone}
          onValue={setPhone}
          error={errors.phone}
        />
        <Field label={t('portal.field.birth_date')} type="date" name="birth_date" autocomplete="bday" value={birth} onValue={setBirth} error={errors.birth_date} />
        <div class="pt-field">
          <label for={localeId}>{t('portal.field.locale')}</label>
          <select id={localeId} value={lang} onChange={(e) => setLang(e.currentTarget.value)}>
            <option value="">{t('portal.field.locale_none')}</option>
            {LOCALES.map((code) => (
              <option key={code} value={code} lang={code}>
                {LOCALE_NAMES[code]}
              </option>
            ))}
            {lang !== '' && !(LOCALES as readonly string[]).includes(lang) && <option value={lang}>{lang}</option>}
          </select>
        </div>
        <ConsentBoxes value={consents} onChange={setConsents} />
        <Button type="submit" busy={busy}>
          {t('portal.account.save')}
        </Button>
        <p role="status" class="pp-said">
          {saved ? t('portal.account.saved') : ''}
        </p>
      </form>
    </Card>
  );
}

function Password() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<{ current?: string; next?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(false);
    const missing = {
      current: current === '' ? t('common.required') : undefined,
      next: next.length < PASSWORD_MIN ? t('portal.field.password_short', { n: PASSWORD_MIN }) : undefined,
    };
    if (missing.current || missing.next) {
      setErrors(missing);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await portalApi.changePassword(current, next);
      setCurrent('');
      setNext('');
      setDone(true);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'invalid_credentials') {
        setErrors({ current: t('portal.account.password_wrong') });
      } else if (e instanceof ApiError && e.field === 'new_password') {
        setErrors({ next: t('portal.field.password_weak') });
      } else {
        setErrors({ form: portalError(e) });
      }
    }
    setBusy(false);
  };
  return (
    <Card title={t('portal.account.password')}>
      <form onSubmit={submit} noValidate>
        {errors.form && <Alert>{errors.form}</Alert>}
        <Field label={t('portal.account.password_current')} type="password" name="current-password" autocomplete="current-password" value={current} onValue={setCurrent} error={errors.current} />
        <Field
          label={t('portal.account.password_new')}
          hint={t('portal.field.password_hint', { n: PASSWORD_MIN })}
          type="password"
          name="new-password"
          autocomplete="new-password"
          value={next}
          onValue={setNext}
          error={errors.next}
        />
        <Button type="submit" busy={busy}>
          {t('portal.account.password_change')}
        </Button>
        <p role="status" class="pp-said">
          {done ? t('portal.account.password_changed') : ''}
        </p>
      </form>
    </Card>
  );
}

// Saves value as a file named name (a download the browser asks no server for).
export function saveJson(value: unknown, name: string): void {
  const blob = new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Export({ member }: { member: FullMember }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const download = async () => {
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const data = await portalApi.exportData(member.id);
      const day = new Date().toISOString().slice(0, 10);
      saveJson(data, `patron-my-data-${member.card_number ?? member.id}-${day}.json`);
      setDone(true);
    } catch (e) {
      setError(e);
    }
    setBusy(false);
  };
  return (
    <Card title={t('portal.account.data')}>
      <p>{t('portal.account.data_lead')}</p>
      {error !== null && <Alert>{portalError(error)}</Alert>}
      <Button variant="secondary" busy={busy} onClick={download}>
        {t('portal.account.download')}
      </Button>
      <p role="status" class="pp-said">
        {done ? t('portal.account.downloaded') : ''}
      </p>
    </Card>
  );
}

export function Account() {
  const session = useMember();
  const { setSession } = usePortal();
  const member = useLoad(() => portalApi.member(session.member.id), [session.member.id]);
  const saved = (m: FullMember) => {
    member.set(m);
    setSession({ ...session, member: m });
  };
  return (
    <Shell title={t('portal.nav.account')}>
      <h1>{t('portal.account.title')}</h1>
      {member.error ? (
        <LoadError error={member.error} retry={member.reload} />
      ) : member.data === undefined ? (
        <Spinner />
      ) : (
        <>
          <Profile member={member.data} onSaved={saved} />
          <Password />
          <Export member={member.data} />
          <Card title={t('portal.account.sign_out_title')}>
            <SignOutButton onSignedOut={() => setSession(null)} />
          </Card>
        </>
      )}
    </Shell>
  );
}
