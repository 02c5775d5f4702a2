// SPDX-License-Identifier: MIT
// The portal's frame around every screen but the full-screen codes: the shared app shell, and
// the navigation - on a phone a bar of tabs at the bottom of the screen, within thumb's reach;
// wider, a row under the header.
import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { AppShell, Alert, Button, useLocale } from '../lib/components';
import { t } from '../lib/i18n';
import type { MessageKey } from '../lib/i18n';
import { Link } from '../lib/router';
import { BASE, href, useRoute } from './routes';
import type { Paged } from './state';
import { portalError, usePortal } from './state';

interface Tab {
  path: string;
  label: MessageKey;
  icon: string; // an SVG path (24×24), drawn beside the label
}

// Simple line icons (drawn here: no icon font to fetch).
const ICONS = {
  home: 'M3 11l9-8 9 8v10a1 1 0 0 1-1 1h-5v-7H9v7H4a1 1 0 0 1-1-1z',
  rewards: 'M4 10h16v11H4zM2 6h20v4H2zM12 6v15M12 6c-2-4-6-4-6-1s6 1 6 1zm0 0c2-4 6-4 6-1s-6 1-6 1z',
  coupons: 'M3 7h18v3a2 2 0 0 0 0 4v3H3v-3a2 2 0 0 0 0-4zM14 7v10',
  history: 'M12 3a9 9 0 1 1-9 9M3 4v5h5M12 7v5l3 3',
  account: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0',
  offers: 'M20 12l-8 8-9-9V3h8zM7.5 7.5h.01',
  how: 'M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zM9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14M12 17h.01',
  signin: 'M15 3h4a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2h-4M10 17l5-5-5-5M15 12H3',
  join: 'M15 19a6 6 0 0 0-12 0M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM19 8v6M16 11h6',
};

const MEMBER_TABS: Tab[] = [
  { path: '', label: 'portal.nav.home', icon: ICONS.home },
  { path: 'rewards', label: 'portal.nav.rewards', icon: ICONS.rewards },
  { path: 'coupons', label: 'portal.nav.coupons', icon: ICONS.coupons },
  { path: 'history', label: 'portal.nav.history', icon: ICONS.history },
  { path: 'account', label: 'portal.nav.account', icon: ICONS.account },
];

const VISITOR_TABS: Tab[] = [
  { path: 'sign-in', label: 'portal.nav.sign_in', icon: ICONS.signin },
  { path: 'join', label: 'portal.nav.join', icon: ICONS.join },
  { path: 'offers', label: 'portal.nav.offers', icon: ICONS.offers },
  { path: 'how-it-works', label: 'portal.nav.how', icon: ICONS.how },
];

function Icon({ d }: { d: string }) {
  return (
    <svg class="pp-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={d} />
    </svg>
  );
}

export function Nav() {
  const { session } = usePortal();
  const route = useRoute();
  const tabs = session === null ? VISITOR_TABS : MEMBER_TABS;
  const current = session === null && route.screen === '' ? 'sign-in' : route.screen.split('/')[0];
  return (
    <ul class="pp-tabs" aria-label={t('portal.nav.label')}>
      {tabs.map((tab) => (
        <li key={tab.path}>
          <Link href={href(tab.path)} aria-current={current === tab.path ? 'page' : undefined}>
            <Icon d={tab.icon} />
            <span>{t(tab.label)}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
}

export function Shell({ children, title }: { children: ComponentChildren; title: string }) {
  useLocale();
  const { program } = usePortal();
  useEffect(() => {
    document.title = program ? `${title} · ${program.name}` : title;
  }, [title, program]);
  return (
    <AppShell face={t('face.portal')} nav={<Nav />} narrow>
      {children}
    </AppShell>
  );
}

// A screen's failed load: what went wrong, and a way to try again.
export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <Alert>
      <p>{portalError(error)}</p>
      {retry !== undefined && (
        <Button variant="secondary" onClick={retry}>
          {t('portal.retry')}
        </Button>
      )}
    </Alert>
  );
}

export function Spinner() {
  return (
    <p class="pt-loading" role="status">
      {t('common.loading')}
    </p>
  );
}

// The "load more" of a paged list, with the error of the page that failed.
export function MoreButton({ paged }: { paged: Paged<unknown> }) {
  return (
    <>
      {paged.moreError !== null && <p class="pt-error">{portalError(paged.moreError)}</p>}
      {paged.more !== null && (
        <p class="pp-more-button">
          <Button variant="secondary" busy={paged.busy} onClick={paged.more}>
            {t('portal.load_more')}
          </Button>
        </p>
      )}
    </>
  );
}

export { BASE };
