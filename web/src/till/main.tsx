// SPDX-License-Identifier: MIT
// The till console (/till/): for staff and admins at the counter, phone or tablet first.
import { Loading, SignIn, mount, useSession } from '../lib/app';
import { useLocale } from '../lib/components';
import { t } from '../lib/i18n';
import { Home } from './Home';

function Till() {
  useLocale();
  const [session, setSession] = useSession();
  const face = t('face.till');
  if (session === undefined) {
    return <Loading face={face} />;
  }
  if (session === null || session.kind !== 'user') {
    return <SignIn face={face} kind="user" onSignedIn={setSession} />;
  }
  return <Home face={face} session={session} onSignedOut={() => setSession(null)} />;
}

void mount(Till);
