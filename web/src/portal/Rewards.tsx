// SPDX-License-Identifier: MIT
// The rewards catalog as the member sees it (GET /v1/rewards?member_id=): what the member can
// have now, what it still needs ("250 more points") or why it is out of reach; redeeming asks
// first (a dialog that says the cost and what is left), then shows the coupon full screen.
import { useEffect, useRef, useState } from 'preact/hooks';
import { Alert, Button, Card } from '../lib/components';
import { formatNumber } from '../lib/format';
import { t } from '../lib/i18n';
import { newIdempotencyKey } from '../lib/api';
import type { Balance, Reward } from './api';
import { portalApi } from './api';
import { Progress } from './Home';
import { go } from './routes';
import { LoadError, Shell, Spinner } from './Shell';
import { portalError, useLoad, useMember, usePortal } from './state';
import { points, rewardGives, rewardReason, rewardRules } from './text';

// A reward a member may be offered: for sale and active (the list holds the whole catalog).
function offered(reward: Reward): boolean {
  return (
    (reward.status === undefined || reward.status === 'active') &&
    reward.cost_points !== null &&
    reward.cost_points !== undefined &&
    reward.cost_points > 0 &&
    reward.reason !== 'reward_inactive' &&
    reward.reason !== 'not_for_sale' &&
    reward.reason !== 'member_inactive'
  );
}

function RewardItem({
  reward,
  balance,
  onRedeem,
}: {
  reward: Reward;
  balance: number;
  onRedeem: (reward: Reward) => void;
}) {
  const { program } = usePortal();
  const currency = program?.currency ?? 'USD';
  const cost = reward.cost_points ?? 0;
  const missing = reward.points_missing ?? Math.max(0, cost - balance);
  const reason = rewardReason(reward);
  const can = missing === 0 && reason === null;
  const gives = rewardGives(reward, currency);
  const rules = rewardRules(reward, currency, program?.time_zone);
  const headingId = `pp-reward-${reward.id}`;
  return (
    <li class={can ? 'pp-reward pp-reward-ok' : 'pp-reward'} aria-labelledby={headingId} data-reward={reward.id}>
      <div class="pp-reward-head">
        <h2 id={headingId}>{reward.name}</h2>
        <span class="pp-reward-cost">{points(cost)}</span>
      </div>
      {gives !== null && <p class="pp-reward-gives">{gives}</p>}
      {reward.description && <p>{reward.description}</p>}
      {can ? (
        <p class="pp-badge pp-badge-ok" data-testid="affordable">
          {t('portal.rewards.affordable')}
        </p>
      ) : reason !== null ? (
        <p class="pp-badge pp-badge-off" data-testid="unavailable">
          {reason}
        </p>
      ) : (
        <>
          <Progress value={cost > 0 ? (cost - missing) / cost : 0} label={t('portal.rewards.progress', { name: reward.name })} />
          <p class="pp-missing" data-testid="missing">
            {t('portal.rewards.missing', { count: missing, n: formatNumber(missing) })}
          </p>
        </>
      )}
      {(rules.length > 0 || reward.terms) && (
        <details class="pp-terms">
          <summary>{t('portal.rewards.terms')}</summary>
          <ul>
            {rules.map((rule) => (
              <li key={rule}>{rule}</li>
            ))}
            {reward.terms && <li>{reward.terms}</li>}
          </ul>
        </details>
      )}
      {can && (
        <Button onClick={() => onRedeem(reward)} aria-describedby={headingId}>
          {t('portal.rewards.redeem')}
        </Button>
      )}
    </li>
  );
}

// The confirm step: a modal dialog (focus kept inside, Escape cancels).
function ConfirmRedeem({
  reward,
  balance,
  onCancel,
}: {
  reward: Reward;
  balance: Balance;
  onCancel: () => void;
}) {
  const { member } = useMember();
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // One key for this confirm step: a retry after a lost answer does not redeem twice.
  const [key] = useState(newIdempotencyKey);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const cost = reward.cost_points ?? 0;
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const coupon = await portalApi.redeem(member.id, reward.id, key);
      dialog.current?.close();
      go(`coupons/${encodeURIComponent(coupon.code)}`);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <dialog ref={dialog} class="pp-dialog" aria-labelledby="pp-confirm-title" onClose={onCancel}>
      <h2 id="pp-confirm-title">{t('portal.rewards.confirm_title', { name: reward.name })}</h2>
      <p>
        {t('portal.rewards.confirm_text', {
          cost: points(cost),
          left: points(Math.max(0, balance.available - cost)),
        })}
      </p>
      {error !== null && <Alert>{portalError(error)}</Alert>}
      <div class="pp-dialog-actions">
        <Button onClick={confirm} busy={busy}>
          {busy ? t('portal.rewards.redeeming') : t('portal.rewards.confirm')}
        </Button>
        <Button variant="secondary" onClick={() => dialog.current?.close()} disabled={busy}>
          {t('portal.cancel')}
        </Button>
      </div>
    </dialog>
  );
}

export function Rewards() {
  const { member } = useMember();
  const rewards = useLoad(() => portalApi.rewards(member.id), [member.id]);
  const balance = useLoad(() => portalApi.balance(member.id), [member.id]);
  const [chosen, setChosen] = useState<Reward | null>(null);
  const list = (rewards.data?.data ?? []).filter(offered);
  // Affordable first, then the nearest.
  list.sort((a, b) => {
    const ra = rewardReason(a) === null ? 0 : 1;
    const rb = rewardReason(b) === null ? 0 : 1;
    return ra - rb || (a.points_missing ?? 0) - (b.points_missing ?? 0) || (a.cost_points ?? 0) - (b.cost_points ?? 0);
  });
  const available = balance.data?.available ?? 0;
  return (
    <Shell title={t('portal.nav.rewards')}>
      <h1>{t('portal.rewards.title')}</h1>
      {balance.data && (
        <p class="pp-lead-points" data-testid="rewards-balance">
          {t('portal.rewards.you_have', { points: points(available) })}
        </p>
      )}
      {rewards.error || balance.error ? (
        <LoadError error={rewards.error || balance.error} retry={() => (rewards.reload(), balance.reload())} />
      ) : rewards.data === undefined || balance.data === undefined ? (
        <Spinner />
      ) : list.length === 0 ? (
        <Card>
          <p>{t('portal.rewards.empty')}</p>
        </Card>
      ) : (
        <ul class="pp-rewards">
          {list.map((reward) => (
            <RewardItem key={reward.id} reward={reward} balance={available} onRedeem={setChosen} />
          ))}
        </ul>
      )}
      {chosen !== null && balance.data && (
        <ConfirmRedeem reward={chosen} balance={balance.data} onCancel={() => setChosen(null)} />
      )}
    </Shell>
  );
}
