// SPDX-License-Identifier: MIT
// What every face does first: load the styles and fonts, choose the language, then render; and
// the session gate that shows the sign-in screen until someone is signed in.
import './fonts.css';
import './styles.css';
import type { ComponentChildren, ComponentType } from 'preact';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';
import { AppShell, Alert, Button, Card, Field, useLocale } from './components';
import { detectLocale, setLocale, t } from './i18n';
import type { Session } from './session';
import { currentSession, signInMember, signInUser, signOut } from './session';

export async function mount(App: ComponentType): Promise<void> {
  await setLocale(detectLocale());
  const root = document.getElementById('app');
  if (root !== null) {
    render(<App />, root);
  }
}

// The sentence to show for a failed request.
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    switch (e.code) {
      case 'invalid_credentials':
        return t('signin.invalid');
      case 'locked':
      case 'rate_limited':
        return t('signin.locked');
      case 'network':
        return t('common.network_error');
      default:
        return t('common.request_failed', { message: e.message });
    }
  }
  return t('common.request_failed', { message: String(e) });
}

interface SignInProps {
  face: string;
  kind: 'user' | 'member';
  onSignedIn: (session: Session) => void;
  footer?: ComponentChildren;
  nav?: ComponentChildren; // the face's navigation, when it has screens open without a session
}

// Email (or, for members, email or phone) and password; the server's answer decides.
export function SignIn({ face, kind, onSignedIn, footer, nav }: SignInProps) {
  useLocale();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<{ login?: string; password?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const missing = {
      login: login.trim() === '' ? t('common.required') : undefined,
      password: password === '' ? t('common.required') : undefined,
    };
    if (missing.login || missing.password) {
      setErrors(missing);
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const session =
        kind === 'user' ? await signInUser(login.trim(), password) : await signInMember(login.trim(), password);
      onSignedIn(session);
    } catch (e) {
      setErrors({ form: errorText(e) });
      setBusy(false);
    }
  };
  return (
    <AppShell face={face} nav={nav} narrow>
      <Card>
        <h1>{t('signin.title')}</h1>
        <p class="pt-lead">{kind === 'user' ? t('signin.lead_staff') : t('signin.lead_member')}</p>
        <form onSubmit={submit} noValidate>
          {errors.form && <Alert>{errors.form}</Alert>}
          <Field
            label={kind === 'user' ? t('signin.email') : t('signin.login')}
            type={kind === 'user' ? 'email' : 'text'}
            name={kind === 'user' ? 'email' : 'login'}
            autocomplete="username"
            inputMode={kind === 'user' ? 'email' : undefined}
            required
            value={login}
            onValue={setLogin}
            error={errors.login}
          />
          <Field
            label={t('signin.password')}
            type="password"
            name="password"
            autocomplete="current-password"
            required
            value={password}
            onValue={setPassword}
            error={errors.password}
          />
          <Button type="submit" busy={busy}>
            {busy ? t('signin.submitting') : t('signin.submit')}
          </Button>
        </form>
        {footer}
      </Card>
    </AppShell>
  );
}

// The session of the page: undefined while it is being read, null when signed out.
export function useSession(): [Session | null | undefined, (s: Session | null) => void] {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    currentSession().then(setSession, () => setSession(null));
  }, []);
  return [session, setSession];
}

export function SignOutButton({ onSignedOut }: { onSignedOut: () => void }) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    setBusy(true);
    try {
      await signOut();
    } catch {
      // The session is forgotten here whatever the server said.
    }
    onSignedOut();
  };
  return (
    <Button variant="secondary" busy={busy} onClick={click}>
      {t('common.sign_out')}
    </Button>
  );
}

export function Loading({ face }: { face: string }) {
  return (
    <AppShell face={face} narrow>
      <p class="pt-loading" role="status">
        {t('common.loading')}
      </p>
    </AppShell>
  );
}
