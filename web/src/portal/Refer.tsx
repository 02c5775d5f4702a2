// SPDX-License-Identifier: MIT
// Refer a friend: the member's referral code and a link to the portal's sign-up with the code
// filled in, shared with the phone's share sheet (navigator.share) where there is one, else
// copied; and the friends who joined with it.
import { useState } from 'preact/hooks';
import { Button, Card } from '../lib/components';
import { formatDate } from '../lib/format';
import { t } from '../lib/i18n';
import type { MessageKey } from '../lib/i18n';
import { portalApi } from './api';
import { href } from './routes';
import { LoadError, Shell, Spinner } from './Shell';
import { useLoad, useMember, usePortal } from './state';

const STATUS: Record<string, MessageKey> = {
  invited: 'portal.refer.status_invited',
  expired: 'portal.refer.status_expired',
  qualified: 'portal.refer.status_qualified',
  rewarded: 'portal.refer.status_rewarded',
  reversed: 'portal.refer.status_reversed',
};

export function referralLink(code: string, programId: string): string {
  return new URL(href('join', { code, program: programId }), location.origin).toString();
}

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function Refer() {
  const session = useMember();
  const { program } = usePortal();
  const referrals = useLoad(() => portalApi.referrals(session.member.id), [session.member.id]);
  const [said, setSaid] = useState<string>('');
  const code = referrals.data?.referral_code ?? '';
  const link = code ? referralLink(code, session.program_id) : '';
  const canShare = typeof navigator.share === 'function';
  const share = async () => {
    const text = t('portal.refer.share_text', { program: program?.name ?? '', code });
    if (canShare) {
      try {
        await navigator.share({ title: program?.name ?? '', text, url: link });
        return;
      } catch (e) {
        if (e instanceof DOMException && e.name === 'AbortError') {
          return; // the member closed the share sheet
        }
      }
    }
    setSaid((await copy(link)) ? t('portal.refer.copied') : t('portal.refer.copy_failed'));
  };
  const copyCode = async () => {
    setSaid((await copy(code)) ? t('portal.refer.code_copied') : t('portal.refer.copy_failed'));
  };
  return (
    <Shell title={t('portal.refer.title')}>
      <h1>{t('portal.refer.title')}</h1>
      {referrals.error ? (
        <LoadError error={referrals.error} retry={referrals.reload} />
      ) : referrals.data === undefined ? (
        <Spinner />
      ) : (
        <>
          <Card>
            <p>{t('portal.refer.lead')}</p>
            <p class="pp-label" id="pp-ref-code-label">
              {t('portal.refer.code')}
            </p>
            <p class="pp-referral-code" aria-labelledby="pp-ref-code-label" data-testid="referral-code">
              {code}
            </p>
            <label class="pp-label" for="pp-ref-link">
              {t('portal.refer.link')}
            </label>
            <input id="pp-ref-link" class="pp-readonly" readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
            <div class="pp-actions">
              <Button onClick={share}>{canShare ? t('portal.refer.share') : t('portal.refer.copy_link')}</Button>
              <Button variant="secondary" onClick={copyCode}>
                {t('portal.refer.copy_code')}
              </Button>
            </div>
            <p role="status" class="pp-said">
              {said}
            </p>
          </Card>
          <Card title={t('portal.refer.friends')}>
            {referrals.data.data.length === 0 ? (
              <p>{t('portal.refer.no_friends')}</p>
            ) : (
              <ul class="pp-plain-list">
                {referrals.data.data.map((r) => (
                  <li key={r.member_id}>
                    {t('portal.refer.friend', {
                      date: formatDate(r.enrolled_at, program?.time_zone),
                      status: t(STATUS[r.status] ?? 'portal.refer.status_invited'),
                    })}
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </>
      )}
    </Shell>
  );
}
