// SPDX-License-Identifier: MIT
// The member's card full screen, to be scanned at the till: QR code, barcode and the number.
import { useLocale } from '../lib/components';
import { t } from '../lib/i18n';
import { pictures } from './api';
import { Fullscreen } from './Fullscreen';
import { useMember, usePortal } from './state';
import { cardNumber } from './text';

export function CardView() {
  useLocale();
  const { member } = useMember();
  const { program } = usePortal();
  const number = cardNumber(member.card_number);
  const name = [member.first_name, member.last_name].filter(Boolean).join(' ');
  return (
    <Fullscreen title={t('portal.card.title')} closeTo="">
      <p class="pp-fullscreen-lead">{t('portal.card.lead')}</p>
      <img class="pp-big-qr" src={pictures.cardQr(member.id)} alt={t('portal.card.qr_alt', { number })} />
      <img class="pp-big-barcode" src={pictures.cardBarcode(member.id)} alt={t('portal.card.barcode_alt', { number })} />
      <p class="pp-big-code" data-testid="card-number">
        {number}
      </p>
      <p class="pp-fullscreen-who">{[name, program?.name].filter(Boolean).join(' · ')}</p>
    </Fullscreen>
  );
}
