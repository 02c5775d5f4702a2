// SPDX-License-Identifier: MIT
// The dashboard's home: a placeholder until its screens arrive (docs/web.md, "Adding a screen").
import { SignOutButton } from '../lib/app';
import { AppShell, Card } from '../lib/components';
import { t } from '../lib/i18n';
import type { Session } from '../lib/session';

interface Props {
  face: string;
  session: Extract<Session, { kind: 'user' }>;
  onSignedOut: () => void;
}

export function Home({ face, session, onSignedOut }: Props) {
  const actions = <SignOutButton onSignedOut={onSignedOut} />;
  return (
    <AppShell face={face} actions={actions}>
      <h1>{t('dashboard.home_title')}</h1>
      <Card>
        <p>{t('common.signed_in_as', { name: session.user.name, role: t(`role.${session.user.role}`) })}</p>
        <p>{t('dashboard.home_placeholder')}</p>
      </Card>
    </AppShell>
  );
}
