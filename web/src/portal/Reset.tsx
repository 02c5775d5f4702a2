// SPDX-License-Identifier: MIT
// A forgotten password. "forgot" asks for a link (POST /v1/portal/password-resets; the server
// answers the same whether the login exists or not, and so does this page); the link opens
// "reset?token=…" (or #/reset?token=…), which sets the new password
// (POST /v1/portal/password-resets/confirm) and then asks to sign in with it.
import { useState } from 'preact/hooks';
import { ApiError } from '../lib/api';
import { Alert, Button, Card, Field } from '../lib/components';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import { programId } from '../lib/session';
import { PASSWORD_MIN } from './Account';
import { portalApi } from './api';
import { href, useRoute } from './routes';
import { Shell } from './Shell';
import { portalError, usePortal } from './state';

export function Forgot() {
  const { session } = usePortal();
  const [login, setLogin] = useState(session?.member.email ?? '');
  const [error, setError] = useState<string | undefined>();
  const [form, setForm] = useState<string | undefined>();
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (login.trim() === '') {
      setError(t('common.required'));
      return;
    }
    setError(undefined);
    setForm(undefined);
    setBusy(true);
    try {
      await portalApi.requestReset(login.trim(), session?.program_id ?? programId());
      setSent(true);
    } catch (e) {
      setForm(portalError(e));
    }
    setBusy(false);
  };
  return (
    <Shell title={t('portal.forgot.title')}>
      <Card>
        <h1>{t('portal.forgot.title')}</h1>
        {sent ? (
          <div role="status" data-testid="reset-sent">
            <p>{t('portal.forgot.sent', { login: login.trim() })}</p>
            <p class="pt-hint">{t('portal.forgot.sent_hint')}</p>
          </div>
        ) : (
          <>
            <p class="pt-lead">{t('portal.forgot.lead')}</p>
            <form onSubmit={submit} noValidate>
              {form && <Alert>{form}</Alert>}
              <Field label={t('signin.login')} name="login" autocomplete="username" required value={login} onValue={setLogin} error={error} />
              <Button type="submit" busy={busy}>
                {t('portal.forgot.submit')}
              </Button>
            </form>
          </>
        )}
        <p class="pp-links">
          <Link href={href('sign-in')}>{t('portal.forgot.back')}</Link>
        </p>
      </Card>
    </Shell>
  );
}

export function Reset() {
  const route = useRoute();
  const token = route.query.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<{ password?: string; again?: string; form?: string }>({});
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const found = {
      password:
        password.length < PASSWORD_MIN
          ? t('portal.field.password_short', { n: PASSWORD_MIN })
          : /^(.)\1*$/.test(password)
            ? t('portal.field.password_weak')
            : undefined,
      again: again !== password ? t('portal.reset.mismatch') : undefined,
    };
    if (found.password || found.again) {
      setErrors(found);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await portalApi.confirmReset(token, password);
      setDone(true);
    } catch (e) {
      if (e instanceof ApiError && e.field === 'password') {
        setErrors({ password: t('portal.field.password_weak') });
      } else if (e instanceof ApiError && (e.field === 'token' || e.status === 404 || e.status === 410 || e.status === 422)) {
        setErrors({ form: t('portal.error.reset_token') });
      } else {
        setErrors({ form: portalError(e) });
      }
    }
    setBusy(false);
  };
  return (
    <Shell title={t('portal.reset.title')}>
      <Card>
        <h1>{t('portal.reset.title')}</h1>
        {token === '' ? (
          <>
            <Alert>{t('portal.error.reset_token')}</Alert>
            <p class="pp-links">
              <Link href={href('forgot')}>{t('portal.reset.ask_again')}</Link>
            </p>
          </>
        ) : done ? (
          <div role="status" data-testid="reset-done">
            <p>{t('portal.reset.done')}</p>
            <p class="pp-links">
              <Link class="pt-button pt-button-primary" href={href('sign-in')}>
                {t('signin.submit')}
              </Link>
            </p>
          </div>
        ) : (
          <form onSubmit={submit} noValidate>
            {errors.form && (
              <Alert>
                <p>{errors.form}</p>
                <Link href={href('forgot')}>{t('portal.reset.ask_again')}</Link>
              </Alert>
            )}
            <Field
              label={t('portal.account.password_new')}
              hint={t('portal.field.password_hint', { n: PASSWORD_MIN })}
              type="password"
              name="new-password"
              autocomplete="new-password"
              required
              value={password}
              onValue={setPassword}
              error={errors.password}
            />
            <Field label={t('portal.reset.again')} type="password" name="new-password-again" autocomplete="new-password" required value={again} onValue={setAgain} error={errors.again} />
            <Button type="submit" busy={busy}>
              {t('portal.reset.submit')}
            </Button>
          </form>
        )}
      </Card>
    </Shell>
  );
}
