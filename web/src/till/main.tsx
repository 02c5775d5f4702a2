// SPDX-License-Identifier: MIT
// The till console (/till/): for staff and admins at the counter, phone or tablet first. A
// viewer may sign in too, and is told the till is read-only for it.
import { Loading, SignIn, mount, useSession } from '../lib/app';
import { useLocale } from '../lib/components';
import { t } from '../lib/i18n';
import { Till } from './Till';
import './till.css';

function App() {
  useLocale();
  const [session, setSession] = useSession();
  const face = t('face.till');
  if (session === undefined) {
    return <Loading face={face} />;
  }
  if (session === null || session.kind !== 'user') {
    return <SignIn face={face} kind="user" onSignedIn={setSession} />;
  }
  return <Till face={face} session={session} onSignedOut={() => setSession(null)} />;
}

void mount(App);
