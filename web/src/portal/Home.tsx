// SPDX-License-Identifier: MIT
// Home: the member's card (number, QR code, barcode, and the button that shows them full screen
// at the till), points available, pending and expiring soon, the tier and what the next one
// needs, the stamp cards' progress, and the wallet when it holds money.
import { Card } from '../lib/components';
import { formatMoney, formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { Link } from '../lib/router';
import type { Balance, PublicProgram, StampProgress, TierState, Wallet } from './api';
import { pictures, portalApi } from './api';
import { href } from './routes';
import { LoadError, Shell, Spinner } from './Shell';
import { useLoad, useMember, usePortal } from './state';
import { cardNumber, expiringByDay, points, stampReward, tierMissing } from './text';

function MemberCard({ tier }: { tier: string | null }) {
  const { member } = useMember();
  const { program } = usePortal();
  const name = [member.first_name, member.last_name].filter(Boolean).join(' ');
  return (
    <section class="pp-member-card" aria-labelledby="pp-card-title">
      <div class="pp-member-card-top">
        <h2 id="pp-card-title">{program?.name ?? t('portal.home.card')}</h2>
        {tier !== null && <span class="pp-badge pp-badge-tier">{tier}</span>}
      </div>
      {name !== '' && <p class="pp-member-card-name">{name}</p>}
      <p class="pp-card-number">
        <span class="pp-visually-hidden">{t('portal.home.card_number')} </span>
        <span data-testid="card-digits">{cardNumber(member.card_number)}</span>
      </p>
      <div class="pp-member-card-codes">
        <img
          class="pp-card-qr"
          src={pictures.cardQr(member.id)}
          alt={t('portal.card.qr_alt', { number: cardNumber(member.card_number) })}
          width={96}
          height={96}
        />
        <img
          class="pp-card-barcode"
          src={pictures.cardBarcode(member.id)}
          alt={t('portal.card.barcode_alt', { number: cardNumber(member.card_number) })}
          height={64}
        />
      </div>
      <Link class="pt-button pt-button-primary pp-show-card" href={href('card')}>
        {t('portal.home.show_card')}
      </Link>
    </section>
  );
}

function Points({ balance, program }: { balance: Balance; program: PublicProgram | null }) {
  const soon = expiringByDay(balance.expiring, program?.time_zone).slice(0, 3);
  return (
    <Card title={t('portal.home.points_title')}>
      <p class="pp-points" data-testid="points-available">
        <span class="pp-points-number">{formatNumber(balance.available)}</span>{' '}
        <span class="pp-points-unit">{t('portal.points_unit', { count: balance.available })}</span>
      </p>
      <dl class="pp-facts">
        <div>
          <dt>{t('portal.home.pending')}</dt>
          <dd data-testid="points-pending">{points(balance.pending)}</dd>
        </div>
        {balance.owed > 0 && (
          <div>
            <dt>{t('portal.home.owed')}</dt>
            <dd>{points(balance.owed)}</dd>
          </div>
        )}
        <div>
          <dt>{t('portal.home.expiring')}</dt>
          <dd data-testid="points-expiring">
            {soon.length === 0
              ? t('portal.home.expiring_none')
              : soon.map((lot) => (
                  <span class="pp-expiring" key={lot.date}>
                    {t('portal.home.expiring_on', { points: points(lot.points), date: lot.date })}
                  </span>
                ))}
          </dd>
        </div>
      </dl>
      {balance.pending > 0 && <p class="pt-hint">{t('portal.home.pending_hint')}</p>}
      <p class="pp-links">
        <Link href={href('rewards')}>{t('portal.home.see_rewards')}</Link>
        <Link href={href('history')}>{t('portal.home.see_history')}</Link>
      </p>
    </Card>
  );
}

function Tier({ state, program }: { state: TierState; program: PublicProgram | null }) {
  const next = state.next;
  const ratio = next && next.threshold > 0 ? Math.min(1, Math.max(0, (next.threshold - next.missing) / next.threshold)) : 1;
  const currency = program?.currency ?? 'USD';
  return (
    <Card title={t('portal.home.tier_title')}>
      <p class="pp-tier-name" data-testid="tier-name">
        {state.tier.name}
      </p>
      {next !== null ? (
        <>
          <Progress value={ratio} label={t('portal.tier.progress', { tier: next.name })} />
          <p data-testid="tier-next">{tierMissing(state.metric, next, currency, program?.time_zone)}</p>
        </>
      ) : (
        <p>{t('portal.tier.top')}</p>
      )}
      {state.tier.perks && state.tier.perks.length > 0 && (
        <ul class="pp-perks">
          {state.tier.perks.map((perk) => (
            <li key={perk}>{perk}</li>
          ))}
        </ul>
      )}
    </Card>
  );
}

export function Progress({ value, label }: { value: number; label: string }) {
  const percent = Math.round(value * 100);
  return (
    <div
      class="pp-progress"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent}
    >
      <span style={{ width: `${percent}%` }} />
    </div>
  );
}

function Stamps({ cards, program }: { cards: StampProgress[]; program: PublicProgram | null }) {
  if (cards.length === 0) {
    return null;
  }
  // The member's card names its catalog reward by id; the program's public face has its name.
  const reward = (card: StampProgress) =>
    stampReward(
      card.reward?.points || card.reward?.name
        ? card.reward
        : program?.stamp_cards.find((c) => c.id === card.card_id)?.reward ?? card.reward,
    );
  return (
    <Card title={t('portal.home.stamps_title')}>
      <ul class="pp-stamp-cards">
        {cards.map((card) => (
          <li key={card.card_id} class="pp-stamp-card">
            <h3>{card.name}</h3>
            <div
              class="pp-stamps"
              role="img"
              aria-label={t('portal.stamps.progress', { count: card.stamps_required, stamps: formatNumber(card.stamps), n: formatNumber(card.stamps_required) })}
            >
              {card.stamps_required <= 20 ? (
                Array.from({ length: card.stamps_required }, (_, i) => (
                  <span key={i} class={i < card.stamps ? 'pp-stamp pp-stamp-on' : 'pp-stamp'} />
                ))
              ) : (
                <Progress value={card.stamps / card.stamps_required} label={card.name} />
              )}
            </div>
            <p>
              {t('portal.stamps.missing', {
                count: card.missing,
                n: formatNumber(card.missing),
                reward: reward(card),
              })}
            </p>
            {card.completed > 0 && (
              <p class="pt-hint">{t('portal.stamps.completed', { count: card.completed, n: formatNumber(card.completed) })}</p>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}

function WalletCard({ wallet }: { wallet: Wallet }) {
  if (wallet.balance === 0 && wallet.pending === 0) {
    return null;
  }
  return (
    <Card title={t('portal.home.wallet_title')}>
      <p class="pp-points" data-testid="wallet">
        <span class="pp-points-number">{formatMoney(wallet.available, wallet.currency)}</span>
      </p>
      {wallet.pending > 0 && (
        <p class="pt-hint">{t('portal.home.wallet_pending', { amount: formatMoney(wallet.pending, wallet.currency) })}</p>
      )}
    </Card>
  );
}

export function Home() {
  const { member } = useMember();
  const { program } = usePortal();
  const hasTiers = (program?.tiers.length ?? 0) > 0;
  const balance = useLoad(() => portalApi.balance(member.id), [member.id]);
  const tier = useLoad(() => (hasTiers ? portalApi.tier(member.id) : Promise.resolve(null)), [member.id, hasTiers]);
  const stamps = useLoad(() => portalApi.stampCards(member.id), [member.id]);
  const wallet = useLoad(() => portalApi.wallet(member.id), [member.id]);
  const name = member.first_name || member.email || member.phone || '';
  return (
    <Shell title={t('portal.nav.home')}>
      <h1>{name ? t('portal.home.hello', { name }) : t('portal.home.hello_anon')}</h1>
      <MemberCard tier={tier.data?.tier.name ?? null} />
      {balance.error ? (
        <LoadError error={balance.error} retry={balance.reload} />
      ) : balance.data === undefined ? (
        <Spinner />
      ) : (
        <Points balance={balance.data} program={program} />
      )}
      {tier.data && <Tier state={tier.data} program={program} />}
      {stamps.data && <Stamps cards={stamps.data.data} program={program} />}
      {wallet.data && <WalletCard wallet={wallet.data} />}
      <nav class="pp-more" aria-label={t('portal.home.more')}>
        <Link href={href('refer')}>{t('portal.home.refer')}</Link>
        <Link href={href('offers')}>{t('portal.nav.offers')}</Link>
        <Link href={href('how-it-works')}>{t('portal.nav.how')}</Link>
      </nav>
    </Shell>
  );
}
