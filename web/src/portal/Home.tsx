// SPDX-License-Identifier: MIT
// The portal's home: a placeholder until its screens arrive (docs/web.md, "Adding a screen").
import { SignOutButton } from '../lib/app';
import { AppShell, Card } from '../lib/components';
import { t } from '../lib/i18n';
import type { Session } from '../lib/session';

interface Props {
  face: string;
  session: Extract<Session, { kind: 'member' }>;
  onSignedOut: () => void;
}

export function Home({ face, session, onSignedOut }: Props) {
  const actions = <SignOutButton onSignedOut={onSignedOut} />;
  const name = session.member.first_name ?? session.member.email ?? session.member.phone ?? '';
  return (
    <AppShell face={face} actions={actions} narrow>
      <h1>{t('portal.home_title', { name })}</h1>
      <Card>
        <p>{t('portal.home_placeholder')}</p>
      </Card>
    </AppShell>
  );
}
