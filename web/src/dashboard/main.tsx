// SPDX-License-Identifier: MIT
// The dashboard (/): for admins and viewers of a program. Staff are sent to the till. After
// sign-in it reads the program's settings once (every amount is shown in its currency) and
// shows the screen the address names (docs/web.md, "Dashboard").
import './dashboard.css';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Loading as LoadingPage, SignIn, SignOutButton, mount, useSession } from '../lib/app';
import { AppShell, useLocale } from '../lib/components';
import { t } from '../lib/i18n';
import type { MessageKey } from '../lib/i18n';
import { Link, useScreen } from '../lib/router';
import { ApiKeys } from './ApiKeys';
import { CouponBatches } from './CouponBatches';
import { DashContext } from './ctx';
import type { Program, UserSession } from './ctx';
import { Events } from './Events';
import { Home } from './Home';
import { Member } from './Member';
import { Members } from './Members';
import { ProgramSettings } from './ProgramSettings';
import { Rewards } from './Rewards';
import { NewRule, RulePage, Rules } from './Rules';
import { StampCards } from './StampCards';
import { TiersScreen } from './Tiers';
import { LoadError } from './ui';
import { Users } from './Users';

interface Section {
  path: string;
  label: MessageKey;
  adminOnly?: boolean; // viewers may not read it (the API answers 403)
}

const SECTIONS: Section[] = [
  { path: '', label: 'dash.nav.home' },
  { path: 'members', label: 'dash.nav.members' },
  { path: 'rules', label: 'dash.nav.rules' },
  { path: 'rewards', label: 'dash.nav.rewards' },
  { path: 'stamp-cards', label: 'dash.nav.stamp_cards' },
  { path: 'coupon-batches', label: 'dash.nav.coupon_batches' },
  { path: 'tiers', label: 'dash.nav.tiers' },
  { path: 'program', label: 'dash.nav.program' },
  { path: 'events', label: 'dash.nav.events' },
  { path: 'api-keys', label: 'dash.nav.api_keys', adminOnly: true },
  { path: 'users', label: 'dash.nav.users', adminOnly: true },
];

function Nav({ screen, admin }: { screen: string; admin: boolean }) {
  const top = screen.split('/')[0] ?? '';
  return (
    <ul class="dash-nav">
      {SECTIONS.filter((s) => admin || !s.adminOnly).map((s) => (
        <li key={s.path}>
          <Link href={'/' + s.path} aria-current={top === s.path ? 'page' : undefined}>
            {t(s.label)}
          </Link>
        </li>
      ))}
    </ul>
  );
}

function Screen({ screen, admin }: { screen: string; admin: boolean }): ComponentChildren {
  const [top, id, sub] = screen.split('/');
  switch (top) {
    case '':
    case undefined:
      return <Home />;
    case 'program':
      return <ProgramSettings />;
    case 'tiers':
      return <TiersScreen />;
    case 'members':
      return id ? <Member id={id} /> : <Members />;
    case 'rules':
      return id === 'new' ? <NewRule /> : id ? <RulePage id={id} /> : <Rules />;
    case 'rewards':
      return <Rewards id={id} sub={sub} />;
    case 'stamp-cards':
      return <StampCards id={id} />;
    case 'coupon-batches':
      return <CouponBatches id={id} />;
    case 'events':
      return <Events />;
    case 'api-keys':
      return admin ? <ApiKeys /> : <NotFound />;
    case 'users':
      return admin ? <Users /> : <NotFound />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <>
      <h1>{t('dash.not_found')}</h1>
      <p>
        <Link href="/">{t('dash.nav.home')}</Link>
      </p>
    </>
  );
}

function Signed({ face, session, onSignedOut }: { face: string; session: UserSession; onSignedOut: () => void }) {
  const screen = useScreen('/');
  const [program, setProgram] = useState<Program | null>(null);
  const [error, setError] = useState<unknown>();
  const load = () => {
    setError(undefined);
    api.get<Program>('/v1/program').then(setProgram, setError);
  };
  useEffect(load, []);
  // A new screen starts at its top with the focus on its content, as a new page would.
  useEffect(() => {
    window.scrollTo(0, 0);
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [screen]);
  const admin = session.user.role === 'admin';
  const actions = (
    <>
      <span class="dash-who">
        {session.user.name} <span class="dash-role">{t(`role.${session.user.role}`)}</span>
      </span>
      <SignOutButton onSignedOut={onSignedOut} />
    </>
  );
  return (
    <AppShell face={face} actions={actions} nav={<Nav screen={screen} admin={admin} />}>
      {error !== undefined && <LoadError error={error} retry={load} />}
      {program === null && error === undefined && (
        <p class="pt-loading" role="status">
          {t('common.loading')}
        </p>
      )}
      {program !== null && (
        <DashContext.Provider value={{ session, canWrite: admin, program, setProgram }}>
          {!admin && <p class="dash-readonly">{t('dash.viewer_notice')}</p>}
          <Screen screen={screen} admin={admin} />
        </DashContext.Provider>
      )}
    </AppShell>
  );
}

function Dashboard() {
  useLocale();
  const [session, setSession] = useSession();
  const face = t('face.dashboard');
  const isStaff = session?.kind === 'user' && session.user.role === 'staff';
  // Staff work at the till: the dashboard sends them there (the server refuses them its routes).
  useEffect(() => {
    if (isStaff) {
      location.assign('/till/');
    }
  }, [isStaff]);
  if (session === undefined) {
    return <LoadingPage face={face} />;
  }
  if (session === null || session.kind !== 'user') {
    return <SignIn face={face} kind="user" onSignedIn={setSession} />;
  }
  if (isStaff) {
    return <LoadingPage face={face} />;
  }
  return <Signed face={face} session={session} onSignedOut={() => setSession(null)} />;
}

void mount(Dashboard);
