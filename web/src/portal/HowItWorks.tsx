// SPDX-License-Identifier: MIT
// How it works, written from the live program (GET /v1/public/program): how to join, how points
// are earned (the rate, what earns none, when points expire, what they are worth), the bonus
// offers marked public, the tiers and their benefits, the stamp cards, and the rewards with
// their rules. Nothing here is typed by hand: change the program and the page follows.
import { Card } from '../lib/components';
import { formatDate } from '../lib/format';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import type { PublicProgram } from './api';
import { href } from './routes';
import { LoadError, Shell, Spinner } from './Shell';
import { usePortal } from './state';
import {
  earnRate,
  expiry,
  list,
  offerDates,
  pointValue,
  points,
  rewardGives,
  rewardRules,
  stampCardRule,
  tierMultiplier,
  tierThreshold,
} from './text';

function Joining({ program }: { program: PublicProgram }) {
  const key =
    program.enrollment === 'invitation'
      ? 'portal.how.join_invitation'
      : program.enrollment === 'closed'
        ? 'portal.how.join_closed'
        : 'portal.how.join_open';
  return (
    <Card title={t('portal.how.join_title')}>
      <p>{t(key)}</p>
    </Card>
  );
}

function Earning({ program }: { program: PublicProgram }) {
  const value = pointValue(program);
  const excluded = program.excluded_categories ?? [];
  return (
    <Card title={t('portal.how.earn_title')}>
      <p data-testid="earn-rate">{earnRate(program)}</p>
      {excluded.length > 0 && <p data-testid="exclusions">{t('portal.how.excluded', { categories: list(excluded) })}</p>}
      <p>{expiry(program)}</p>
      {value !== null && <p>{value}</p>}
    </Card>
  );
}

function Bonuses({ program }: { program: PublicProgram }) {
  if (program.offers.length === 0) {
    return null;
  }
  return (
    <Card title={t('portal.how.bonus_title')}>
      <ul class="pp-plain-list">
        {program.offers.map((offer) => {
          const dates = offerDates(offer, program.time_zone);
          return (
            <li key={offer.id}>
              <strong>{offer.name}</strong>
              {offer.description && <> — {offer.description}</>}
              {dates && <span class="pp-offer-dates"> ({dates})</span>}
            </li>
          );
        })}
      </ul>
      <Link href={href('offers')}>{t('portal.how.all_offers')}</Link>
    </Card>
  );
}

function Tiers({ program }: { program: PublicProgram }) {
  if (program.tiers.length === 0) {
    return null;
  }
  return (
    <Card title={t('portal.how.tiers_title')}>
      <ol class="pp-tiers">
        {program.tiers.map((tier) => {
          const more = tierMultiplier(tier);
          return (
            <li key={tier.id} class="pp-tier">
              <h3>{tier.name}</h3>
              <p class="pt-hint">{tierThreshold(tier, program.currency)}</p>
              {(more !== '' || tier.benefits.length > 0) && (
                <ul>
                  {more !== '' && <li>{more}</li>}
                  {tier.benefits.map((b) => (
                    <li key={b}>{b}</li>
                  ))}
                </ul>
              )}
            </li>
          );
        })}
      </ol>
    </Card>
  );
}

function StampCards({ program }: { program: PublicProgram }) {
  if (program.stamp_cards.length === 0) {
    return null;
  }
  return (
    <Card title={t('portal.how.stamps_title')}>
      <ul class="pp-plain-list">
        {program.stamp_cards.map((card) => (
          <li key={card.id}>
            <strong>{card.name}</strong>: {stampCardRule(card)}
          </li>
        ))}
      </ul>
    </Card>
  );
}

function Rewards({ program }: { program: PublicProgram }) {
  if (program.rewards.length === 0) {
    return null;
  }
  return (
    <Card title={t('portal.how.rewards_title')}>
      <p>{t('portal.how.rewards_lead')}</p>
      <ul class="pp-how-rewards">
        {program.rewards.map((reward) => {
          const gives = rewardGives(reward, program.currency);
          const rules = rewardRules(reward, program.currency, program.time_zone);
          return (
            <li key={reward.id}>
              <div class="pp-reward-head">
                <h3>{reward.name}</h3>
                {reward.cost_points ? <span class="pp-reward-cost">{points(reward.cost_points)}</span> : null}
              </div>
              {gives && <p class="pp-reward-gives">{gives}</p>}
              {reward.description && <p>{reward.description}</p>}
              {(rules.length > 0 || reward.terms) && (
                <ul class="pp-rules">
                  {rules.map((rule) => (
                    <li key={rule}>{rule}</li>
                  ))}
                  {reward.terms && <li>{reward.terms}</li>}
                </ul>
              )}
              {reward.valid_from && new Date(reward.valid_from).getTime() > Date.now() && (
                <p class="pt-hint">{t('portal.offers.from', { date: formatDate(reward.valid_from, program.time_zone) })}</p>
              )}
            </li>
          );
        })}
      </ul>
    </Card>
  );
}

export function HowItWorks() {
  const { program, programError, session } = usePortal();
  return (
    <Shell title={t('portal.nav.how')}>
      <h1>{t('portal.how.title')}</h1>
      {program === null ? (
        programError ? (
          <LoadError error={programError} />
        ) : (
          <Spinner />
        )
      ) : (
        <>
          <p class="pt-lead">{t('portal.how.lead', { program: program.name })}</p>
          <Joining program={program} />
          <Earning program={program} />
          <Bonuses program={program} />
          <Tiers program={program} />
          <StampCards program={program} />
          <Rewards program={program} />
          {session === null && program.enrollment !== 'closed' && (
            <p class="pp-links">
              <Link class="pt-button pt-button-primary" href={href('join')}>
                {t('portal.signin.join')}
              </Link>
            </p>
          )}
        </>
      )}
    </Shell>
  );
}
