// SPDX-License-Identifier: MIT
// The member portal (/portal/): members on their phones.
import { Loading, SignIn, mount, useSession } from '../lib/app';
import { useLocale } from '../lib/components';
import { t } from '../lib/i18n';
import { Home } from './Home';

function Portal() {
  useLocale();
  const [session, setSession] = useSession();
  const face = t('face.portal');
  if (session === undefined) {
    return <Loading face={face} />;
  }
  if (session === null || session.kind !== 'member') {
    return <SignIn face={face} kind="member" onSignedIn={setSession} />;
  }
  return <Home face={face} session={session} onSignedOut={() => setSession(null)} />;
}

void mount(Portal);
