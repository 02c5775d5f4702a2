// SPDX-License-Identifier: MIT
// A path under /portal/ that is no screen.
import { Card } from '../lib/components';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import { href } from './routes';
import { Shell } from './Shell';

export function NotFound() {
  return (
    <Shell title={t('portal.not_found.title')}>
      <Card>
        <h1>{t('portal.not_found.title')}</h1>
        <p>{t('portal.not_found.text')}</p>
        <Link href={href('')}>{t('portal.not_found.home')}</Link>
      </Card>
    </Shell>
  );
}
