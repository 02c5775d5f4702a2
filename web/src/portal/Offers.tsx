// SPDX-License-Identifier: MIT
// Offers: the program's active promotions marked public (GET /v1/public/program → offers), each
// in the words the business wrote for members, with its dates. Readable without signing in.
import { Card } from '../lib/components';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import { href } from './routes';
import { LoadError, Shell, Spinner } from './Shell';
import { usePortal } from './state';
import { offerDates } from './text';

export function Offers() {
  const { program, programError, session } = usePortal();
  return (
    <Shell title={t('portal.nav.offers')}>
      <h1>{t('portal.offers.title')}</h1>
      {program === null ? (
        programError ? <LoadError error={programError} /> : <Spinner />
      ) : program.offers.length === 0 ? (
        <Card>
          <p>{t('portal.offers.empty')}</p>
        </Card>
      ) : (
        <ul class="pp-offers">
          {program.offers.map((offer) => {
            const dates = offerDates(offer, program.time_zone);
            return (
              <li key={offer.id} class="pp-offer">
                <h2>{offer.name}</h2>
                {offer.description && <p>{offer.description}</p>}
                {dates && <p class="pp-offer-dates">{dates}</p>}
              </li>
            );
          })}
        </ul>
      )}
      <p class="pp-links">
        <Link href={href('how-it-works')}>{t('portal.nav.how')}</Link>
        {session === null && program?.enrollment !== 'closed' && <Link href={href('join')}>{t('portal.signin.join')}</Link>}
      </p>
    </Shell>
  );
}
