// SPDX-License-Identifier: MIT
// The dashboard (/): for admins and viewers of a program. Staff are sent to the till.
import { useEffect } from 'preact/hooks';
import { Loading, SignIn, mount, useSession } from '../lib/app';
import { useLocale } from '../lib/components';
import { t } from '../lib/i18n';
import { Home } from './Home';

function Dashboard() {
  useLocale();
  const [session, setSession] = useSession();
  const face = t('face.dashboard');
  const isStaff = session?.kind === 'user' && session.user.role === 'staff';
  useEffect(() => {
    if (isStaff) {
      location.assign('/till/');
    }
  }, [isStaff]);
  if (session === undefined) {
    return <Loading face={face} />;
  }
  if (session === null || session.kind !== 'user') {
    return <SignIn face={face} kind="user" onSignedIn={setSession} />;
  }
  if (isStaff) {
    return <Loading face={face} />;
  }
  return <Home face={face} session={session} onSignedOut={() => setSession(null)} />;
}

void mount(Dashboard);
