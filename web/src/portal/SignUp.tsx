// SPDX-License-Identifier: MIT
// Joining the program (POST /v1/portal/sign-up): email or phone and a password, names, the
// invitation code when the program's enrollment is "invitation" (filled in from a referral
// link's ?code=), and consents. A program whose enrollment is "closed" says so instead.
import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api';
import { Alert, Button, Card, Field } from '../lib/components';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import { adoptSession, programId } from '../lib/session';
import { ConsentBoxes, PASSWORD_MIN, PHONE_PATTERN } from './Account';
import type { Consents, SignUpBody } from './api';
import { portalApi } from './api';
import { go, href, useRoute } from './routes';
import { Shell, Spinner } from './Shell';
import { portalError, usePortal } from './state';

type Errors = Partial<Record<'email' | 'phone' | 'password' | 'invitation_code' | 'first_name' | 'last_name' | 'form', string>>;

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// The form's own checks, before the server's: what is missing or malformed, at its field.
export function checkSignUp(v: { email: string; phone: string; password: string; code: string; needsCode: boolean }): Errors {
  const errors: Errors = {};
  if (v.email.trim() === '' && v.phone.trim() === '') {
    errors.email = t('portal.join.email_or_phone');
  }
  if (v.email.trim() !== '' && !EMAIL_PATTERN.test(v.email.trim())) {
    errors.email = t('portal.field.email_invalid');
  }
  if (v.phone.trim() !== '' && !PHONE_PATTERN.test(v.phone.trim())) {
    errors.phone = t('portal.field.phone_invalid');
  }
  if (v.password.length < PASSWORD_MIN) {
    errors.password = t('portal.field.password_short', { n: PASSWORD_MIN });
  } else if (/^(.)\1*$/.test(v.password)) {
    errors.password = t('portal.field.password_weak');
  }
  if (v.needsCode && v.code.trim() === '') {
    errors.invitation_code = t('common.required');
  }
  return errors;
}

// The server's refusal at the field it names (or for the whole form).
function serverErrors(e: unknown): Errors {
  if (e instanceof ApiError) {
    if (e.status === 409) {
      return { form: t('portal.join.exists') };
    }
    if (e.status === 403) {
      return { form: t('portal.join.closed') };
    }
    const field = e.field ?? '';
    if (field === 'invitation_code' || field === 'referred_by' || e.code.startsWith('referral') || e.code === 'referrer_inactive') {
      return { invitation_code: t('portal.join.code_invalid') };
    }
    if (field === 'password') {
      return { password: t('portal.field.password_weak') };
    }
    if (field === 'email' || field === 'phone' || field === 'first_name' || field === 'last_name') {
      return { [field]: portalError(e) };
    }
  }
  return { form: portalError(e) };
}

export function SignUp() {
  const { program, programError, setSession } = usePortal();
  const route = useRoute();
  const codeFromLink = route.query.get('code') ?? '';
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [password, setPassword] = useState('');
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  const [code, setCode] = useState(codeFromLink);
  const [consents, setConsents] = useState<Consents>({ email: false, sms: false, push: false });
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  // Until the program's public face is read the form waits; if it cannot be read, the form is
  // shown as for open enrollment and the server's answer decides.
  if (program === null && !programError) {
    return (
      <Shell title={t('portal.join.title')}>
        <h1>{t('portal.join.title')}</h1>
        <Spinner />
      </Shell>
    );
  }
  const enrollment = program?.enrollment ?? 'open';
  const needsCode = enrollment === 'invitation';
  const showCode = needsCode || codeFromLink !== '';
  const submit = async (event: Event) => {
    event.preventDefault();
    const found = checkSignUp({ email, phone, password, code, needsCode });
    setErrors(found);
    if (Object.keys(found).length > 0) {
      return;
    }
    const body: SignUpBody = { program_id: programId() ?? program?.id, password, consents };
    if (email.trim()) body.email = email.trim();
    if (phone.trim()) body.phone = phone.trim();
    if (first.trim()) body.first_name = first.trim();
    if (last.trim()) body.last_name = last.trim();
    if (showCode && code.trim()) body.invitation_code = code.trim();
    setBusy(true);
    try {
      const session = adoptSession(await portalApi.signUp(body));
      if (session.kind === 'member') {
        setSession(session);
      }
      go('');
    } catch (e) {
      setErrors(serverErrors(e));
      setBusy(false);
    }
  };
  return (
    <Shell title={t('portal.join.title')}>
      <Card>
        <h1>{t('portal.join.title')}</h1>
        {enrollment === 'closed' ? (
          <div data-testid="join-closed">
            <p>{t('portal.join.closed')}</p>
            <p>{t('portal.join.closed_reset')}</p>
            <p class="pp-links">
              <Link href={href('forgot')}>{t('portal.signin.forgot')}</Link>
              <Link href={href('sign-in')}>{t('signin.title')}</Link>
            </p>
          </div>
        ) : (
          <>
            <p class="pt-lead">{program ? t('portal.join.lead', { program: program.name }) : t('portal.join.lead_plain')}</p>
            <form onSubmit={submit} noValidate>
              {errors.form && (
                <Alert>
                  <p>{errors.form}</p>
                  {errors.form === t('portal.join.exists') && <Link href={href('forgot')}>{t('portal.signin.forgot')}</Link>}
                </Alert>
              )}
              <p class="pt-hint">{t('portal.join.email_or_phone')}</p>
              <Field label={t('portal.field.email')} type="email" name="email" autocomplete="email" inputMode="email" value={email} onValue={setEmail} error={errors.email} maxLength={254} />
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
              <Field
                label={t('signin.password')}
                hint={t('portal.field.password_hint', { n: PASSWORD_MIN })}
                type="password"
                name="password"
                autocomplete="new-password"
                required
                value={password}
                onValue={setPassword}
                error={errors.password}
              />
              <Field label={t('portal.field.first_name')} name="first_name" autocomplete="given-name" value={first} onValue={setFirst} error={errors.first_name} maxLength={100} />
              <Field label={t('portal.field.last_name')} name="last_name" autocomplete="family-name" value={last} onValue={setLast} error={errors.last_name} maxLength={100} />
              {showCode && (
                <Field
                  label={needsCode ? t('portal.join.code') : t('portal.join.code_optional')}
                  hint={needsCode ? t('portal.join.code_hint') : undefined}
                  name="invitation_code"
                  autocomplete="off"
                  required={needsCode}
                  value={code}
                  onValue={setCode}
                  error={errors.invitation_code}
                />
              )}
              <ConsentBoxes value={consents} onChange={setConsents} />
              <Button type="submit" busy={busy}>
                {busy ? t('portal.join.submitting') : t('portal.join.submit')}
              </Button>
            </form>
            <p class="pp-links">
              <Link href={href('sign-in')}>{t('portal.join.have_account')}</Link>
            </p>
          </>
        )}
      </Card>
    </Shell>
  );
}
