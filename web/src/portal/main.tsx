// SPDX-License-Identifier: MIT
// The member portal (/portal/): members on their phones. Signed out it offers sign-in, joining,
// a forgotten password, and the program's offers and how it works; signed in, the member's card,
// points, rewards, coupons, history, referral and account. Screens: routes.ts.
import './portal.css';
import type { ComponentType } from 'preact';
import { useEffect, useMemo, useRef } from 'preact/hooks';
import { Loading, SignIn, mount, useSession } from '../lib/app';
import { useLocale } from '../lib/components';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import type { Session } from '../lib/session';
import { Account } from './Account';
import type { MemberSession } from './api';
import { CardView } from './CardView';
import { CouponView } from './CouponView';
import { Coupons } from './Coupons';
import { History } from './History';
import { Home } from './Home';
import { HowItWorks } from './HowItWorks';
import { NotFound } from './NotFound';
import { Offers } from './Offers';
import { Refer } from './Refer';
import { Forgot, Reset } from './Reset';
import { Rewards } from './Rewards';
import { adoptHashRoute, go, href, useRoute } from './routes';
import type { Route } from './routes';
import { Nav } from './Shell';
import { SignUp } from './SignUp';
import type { PortalState } from './state';
import { PortalContext, usePortal, useProgram } from './state';

const PUBLIC: Record<string, ComponentType> = {
  join: SignUp,
  forgot: Forgot,
  reset: Reset,
  offers: Offers,
  'how-it-works': HowItWorks,
};

const MEMBER: Record<string, ComponentType> = {
  '': Home,
  card: CardView,
  rewards: Rewards,
  coupons: Coupons,
  history: History,
  refer: Refer,
  account: Account,
  offers: Offers,
  'how-it-works': HowItWorks,
  reset: Reset,
};

function SignInScreen({ route }: { route: Route }) {
  const { setSession, program } = usePortal();
  const signedIn = (session: Session) => {
    if (session.kind === 'member') {
      setSession(session);
      if (route.screen === 'sign-in') {
        go('');
      }
    }
  };
  const footer = (
    <p class="pp-links">
      <Link href={href('forgot')}>{t('portal.signin.forgot')}</Link>
      {program?.enrollment !== 'closed' && <Link href={href('join')}>{t('portal.signin.join')}</Link>}
    </p>
  );
  return <SignIn face={t('face.portal')} kind="member" onSignedIn={signedIn} footer={footer} nav={<Nav />} />;
}

// Signed in, the screens of signing in lead home.
function Redirect({ to }: { to: string }) {
  useEffect(() => {
    history.replaceState(null, '', href(to));
    window.dispatchEvent(new PopStateEvent('popstate'));
  }, [to]);
  return null;
}

function Screen({ route }: { route: Route }) {
  const { session } = usePortal();
  const first = route.screen.split('/')[0];
  if (session === null) {
    const Public = PUBLIC[first];
    return Public !== undefined ? <Public /> : <SignInScreen route={route} />;
  }
  if (first === 'coupons' && route.screen.length > 'coupons/'.length) {
    return <CouponView code={route.screen.slice('coupons/'.length)} />;
  }
  if (first === 'sign-in' || first === 'join' || first === 'forgot') {
    return <Redirect to="" />;
  }
  const Member = MEMBER[route.screen];
  return Member !== undefined ? <Member /> : <NotFound />;
}

function Portal() {
  useLocale();
  const [session, setSession] = useSession();
  const member = session?.kind === 'member' ? session : null;
  const [program, programError] = useProgram(member);
  const route = useRoute();
  const state = useMemo<PortalState>(
    () => ({ session: member, program, programError, setSession: (s: MemberSession | null) => setSession(s) }),
    [member, program, programError, setSession],
  );
  // A new screen: the reader starts at its top, and a screen reader at its main content.
  const shown = useRef(route.screen);
  useEffect(() => {
    if (shown.current !== route.screen) {
      shown.current = route.screen;
      window.scrollTo(0, 0);
      document.getElementById('main')?.focus({ preventScroll: true });
    }
  }, [route.screen]);
  if (session === undefined) {
    return <Loading face={t('face.portal')} />;
  }
  return (
    <PortalContext.Provider value={state}>
      <Screen route={route} />
    </PortalContext.Provider>
  );
}

adoptHashRoute();
void mount(Portal);
