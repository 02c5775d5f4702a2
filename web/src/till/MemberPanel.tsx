// SPDX-License-Identifier: MIT
// The member at the counter: name, card number, tier, points available, stamp cards. Read
// again whenever `version` changes (after a purchase, a return, a redemption).
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Button } from '../lib/components';
import { formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { formatCardNumber } from './codes';
import { hasTiers } from './program';
import type { Balance, Member, MemberTier, Program, StampProgress } from './types';

export function memberName(m: Pick<Member, 'first_name' | 'last_name'> & { email?: string | null; card_number?: string }): string {
  const name = [m.first_name, m.last_name].filter((s) => s !== null && s !== undefined && s !== '').join(' ');
  return name !== '' ? name : (m.email ?? (m.card_number ? formatCardNumber(m.card_number) : t('till.member_unnamed')));
}

interface Details {
  balance: Balance | null;
  tier: MemberTier | null;
  cards: StampProgress[];
}

interface Props {
  member: Member;
  program: Program | null;
  version: number;
  onChange?: () => void; // "another member"
}

export function MemberPanel({ member, program, version, onChange }: Props) {
  const [details, setDetails] = useState<Details | null>(null);
  const [failed, setFailed] = useState(false);
  const tiers = hasTiers(program);

  useEffect(() => {
    let live = true;
    const id = encodeURIComponent(member.id);
    Promise.all([
      api.get<Balance>(`/v1/members/${id}/balance`),
      tiers ? api.get<MemberTier>(`/v1/members/${id}/tier`).catch(() => null) : Promise.resolve(null),
      api.get<{ data: StampProgress[] }>(`/v1/members/${id}/stamp-cards`).then((r) => r.data, () => []),
    ]).then(
      ([balance, tier, cards]) => {
        if (live) {
          setDetails({ balance, tier, cards });
          setFailed(false);
        }
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [member.id, version, tiers]);

  return (
    <section class="pt-card till-member" aria-labelledby="till-member-name">
      <div class="till-member-head">
        <div>
          <h2 id="till-member-name">{memberName(member)}</h2>
          <p class="till-card-number">
            <span class="till-sr">{t('till.member_card')} </span>
            {formatCardNumber(member.card_number)}
          </p>
          {member.status !== 'active' && <p class="pt-error">{t(`till.member_status.${member.status}`)}</p>}
        </div>
        {onChange && (
          <Button variant="secondary" onClick={onChange}>
            {t('till.member_change')}
          </Button>
        )}
      </div>
      {failed && <p class="pt-error">{t('till.member_details_failed')}</p>}
      <dl class="till-facts">
        <div class="till-fact till-fact-points">
          <dt>{t('till.member_points')}</dt>
          <dd data-testid="member-points">{details?.balance ? formatNumber(details.balance.available) : '…'}</dd>
        </div>
        {details?.balance && details.balance.pending > 0 && (
          <div class="till-fact">
            <dt>{t('till.member_pending')}</dt>
            <dd>{formatNumber(details.balance.pending)}</dd>
          </div>
        )}
        {tiers && (
          <div class="till-fact">
            <dt>{t('till.member_tier')}</dt>
            <dd>{details?.tier?.tier?.name ?? '—'}</dd>
          </div>
        )}
      </dl>
      {details !== null && details.cards.length > 0 && (
        <ul class="till-stamps" aria-label={t('till.member_stamp_cards')}>
          {details.cards.map((c) => (
            <li key={c.card_id}>
              <span class="till-stamps-name">{c.name}</span>
              <span class="till-stamps-count">
                {t('till.stamps_progress', { stamps: formatNumber(c.stamps), required: formatNumber(c.stamps_required) })}
              </span>
              <progress max={c.stamps_required} value={c.stamps} aria-label={c.name} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
