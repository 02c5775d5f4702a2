// SPDX-License-Identifier: MIT
// The till console once someone is signed in: the navigation between its screens, what they
// share (the member at the counter, the cart, the last purchase), and the USB scanner's input
// wherever the focus is. Screens (below /till/): "" find a member, "sale" the member and the
// cart, "coupons" verify and redeem, "returns", "enroll".
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { SignOutButton } from '../lib/app';
import { Alert, AppShell } from '../lib/components';
import { t } from '../lib/i18n';
import { Link, navigate, useScreen } from '../lib/router';
import type { Session } from '../lib/session';
import type { Cart } from './cart';
import { EMPTY_CART } from './cart';
import type { Code } from './codes';
import { classify } from './codes';
import { Coupons } from './Coupons';
import { Enroll } from './Enroll';
import { Find } from './Find';
import { SESSION_ENDED, loadProgram } from './program';
import { Returns } from './Returns';
import { Sale } from './Sale';
import type { Member, Program, Purchase } from './types';
import { useScannerWedge } from './wedge';

export const BASE = '/till/';

export type UserSession = Extract<Session, { kind: 'user' }>;

// What the screens share and may change.
export interface TillState {
  session: UserSession;
  readOnly: boolean; // a viewer: looks up, records nothing
  program: Program | null;
  member: Member | null;
  setMember: (member: Member | null) => void;
  cart: Cart;
  setCart: (cart: Cart) => void;
  lastPurchase: Purchase | null;
  setLastPurchase: (purchase: Purchase | null) => void;
  code: Code | null; // a code scanned or typed elsewhere, for the screen it belongs to
  setCode: (code: Code | null) => void;
}

const SCREENS = [
  { path: '', key: 'till.nav.find' },
  { path: 'sale', key: 'till.nav.sale' },
  { path: 'coupons', key: 'till.nav.coupons' },
  { path: 'returns', key: 'till.nav.returns' },
  { path: 'enroll', key: 'till.nav.enroll' },
] as const;

export function go(screen: string): void {
  navigate(BASE + screen + location.search);
}

// Where a code belongs: a coupon to its screen, a receipt's purchase to returns, anything else
// (a card, a phone, an email, a name) to the member search.
export function route(code: Code, setCode: (code: Code) => void): void {
  setCode(code);
  go(code.kind === 'coupon' ? 'coupons' : code.kind === 'purchase' ? 'returns' : '');
}

interface Props {
  face: string;
  session: UserSession;
  onSignedOut: () => void;
}

export function Till({ face, session, onSignedOut }: Props) {
  const screen = useScreen(BASE);
  const [program, setProgram] = useState<Program | null>(null);
  const [programFailed, setProgramFailed] = useState(false);
  const [member, setMember] = useState<Member | null>(null);
  const [cart, setCart] = useState<Cart>(EMPTY_CART);
  const [lastPurchase, setLastPurchase] = useState<Purchase | null>(null);
  const [code, setCode] = useState<Code | null>(null);
  const readOnly = session.user.role === 'viewer';

  useEffect(() => {
    loadProgram(session.program_id, session.user.role === 'admin').then(
      (p) => setProgram(p), // null: the member's wallet tells the currency (below)
      () => setProgramFailed(true),
    );
  }, [session.program_id]);

  // A server without GET /v1/public/program tells a staff user the currency in a member's
  // wallet (the program's): enough to sell to that member.
  useEffect(() => {
    if (program === null && member !== null) {
      api.get<{ currency: string }>(`/v1/members/${encodeURIComponent(member.id)}/wallet`).then(
        (wallet) => {
          setProgram({ id: session.program_id, name: '', currency: wallet.currency, time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone, tiers: null });
          setProgramFailed(false);
        },
        () => setProgramFailed(true),
      );
    }
  }, [program, member?.id]);

  useEffect(() => {
    window.addEventListener(SESSION_ENDED, onSignedOut);
    return () => window.removeEventListener(SESSION_ENDED, onSignedOut);
  }, [onSignedOut]);

  // A USB scanner types the code and Enter; when no field has the focus, the code still lands.
  useScannerWedge((text) => route(classify(text), setCode));

  const state: TillState = {
    session,
    readOnly,
    program,
    member,
    setMember: (m) => {
      if (m?.id !== member?.id) {
        setCart(EMPTY_CART); // a cart belongs to the customer it was built for
      }
      setMember(m);
    },
    cart,
    setCart,
    lastPurchase,
    setLastPurchase,
    code,
    setCode,
  };

  const nav = SCREENS.filter((s) => !readOnly || s.path === '' || s.path === 'sale' || s.path === 'coupons').map(
    (s) => (
      <Link
        key={s.path}
        href={BASE + s.path + location.search}
        class="till-nav-link"
        aria-current={screen === s.path ? 'page' : undefined}
      >
        {t(s.key)}
      </Link>
    ),
  );
  const actions = (
    <>
      <span class="till-user">
        {session.user.name} · {t(`role.${session.user.role}`)}
      </span>
      <SignOutButton onSignedOut={onSignedOut} />
    </>
  );

  return (
    <AppShell face={face} actions={actions} nav={nav}>
      {readOnly && (
        <div class="till-notice" role="note">
          {t('till.viewer_read_only')}
        </div>
      )}
      {programFailed && <Alert>{t('till.program_unknown')}</Alert>}
      {screen === '' && <Find state={state} />}
      {screen === 'sale' && <Sale state={state} />}
      {screen === 'coupons' && <Coupons state={state} />}
      {screen === 'returns' && (readOnly ? <Alert>{t('till.viewer_refused')}</Alert> : <Returns state={state} />)}
      {screen === 'enroll' && (readOnly ? <Alert>{t('till.viewer_refused')}</Alert> : <Enroll state={state} />)}
      {!SCREENS.some((s) => s.path === screen) && <Find state={state} />}
    </AppShell>
  );
}
