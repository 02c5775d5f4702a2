// SPDX-License-Identifier: MIT
// The program the till serves (its currency for the cart's prices and the purchase, its time
// zone for dates, whether it has tiers), and the till's sentences for the API's refusals.
import { ApiError, api } from '../lib/api';
import { errorText } from '../lib/app';
import type { MessageKey } from '../lib/i18n';
import { t } from '../lib/i18n';
import type { Program } from './types';

export const SESSION_ENDED = 'till-session-ended';

// GET /v1/public/program (any session) says it all; GET /v1/program (admins only) is the
// fallback of a server without the public route. null when neither answers.
export async function loadProgram(programId: string, admin: boolean): Promise<Program | null> {
  try {
    return await api.get<Program>('/v1/public/program', { program_id: programId });
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 404) {
      throw e;
    }
  }
  if (!admin) {
    return null;
  }
  try {
    return await api.get<Program>('/v1/program');
  } catch {
    return null;
  }
}

export function hasTiers(program: Program | null): boolean {
  const tiers = program?.tiers;
  return Array.isArray(tiers) ? tiers.length > 0 : tiers !== null && tiers !== undefined;
}

// Codes of the API the cashier meets (a coupon's state, a cart's refusal, a purchase's), said
// in the cashier's language; the server's own message (English, with its details: when and where
// a coupon was used) is shown beside it.
const REASONS: Record<string, MessageKey> = {
  already_redeemed: 'till.reason.already_redeemed',
  coupon_expired: 'till.reason.coupon_expired',
  coupon_cancelled: 'till.reason.coupon_cancelled',
  coupon_not_yet_valid: 'till.reason.coupon_not_yet_valid',
  coupon_not_yours: 'till.reason.coupon_not_yours',
  member_required: 'till.reason.member_required',
  member_limit_reached: 'till.reason.member_limit_reached',
  reward_inactive: 'till.reason.reward_inactive',
  product_not_in_cart: 'till.reason.product_not_in_cart',
  minimum_not_met: 'till.reason.minimum_not_met',
  coupon_not_applicable: 'till.reason.coupon_not_applicable',
  duplicate_code: 'till.reason.duplicate_code',
  batch_not_ready: 'till.reason.batch_not_ready',
  not_combinable: 'till.reason.not_combinable',
  nothing_to_discount: 'till.reason.nothing_to_discount',
  better_discount_applied: 'till.reason.better_discount_applied',
  invalid_code: 'till.reason.invalid_code',
  not_found: 'till.reason.not_found',
  member_inactive: 'till.reason.member_inactive',
  return_window_closed: 'till.reason.return_window_closed',
  insufficient_points: 'till.reason.insufficient_points',
  insufficient_funds: 'till.reason.insufficient_funds',
  forbidden: 'till.reason.forbidden',
  points_payment_too_small: 'till.reason.points_payment_too_small',
  points_payment_not_a_multiple: 'till.reason.points_payment_not_a_multiple',
  points_payment_too_large: 'till.reason.points_payment_too_large',
  points_payment_disabled: 'till.reason.points_payment_disabled',
  payments_mismatch: 'till.reason.payments_mismatch',
};

export function reasonText(code: string | null | undefined): string | null {
  const key = code ? REASONS[code] : undefined;
  return key !== undefined ? t(key) : null;
}

// A failed request as the till says it: its reason in the cashier's language when known, else
// the shared wording; detail is the server's message.
export function refusal(e: unknown): { text: string; detail?: string } {
  if (e instanceof ApiError && e.status === 401) {
    // The session ended (signed out elsewhere, expired, the user disabled): back to sign-in.
    window.dispatchEvent(new Event(SESSION_ENDED));
  }
  if (e instanceof ApiError && e.code !== 'network') {
    const known = reasonText(e.code);
    if (known !== null) {
      return { text: known, detail: e.message };
    }
  }
  return { text: errorText(e) };
}
