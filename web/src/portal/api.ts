// SPDX-License-Identifier: MIT
// What the portal reads and writes, typed as docs/openapi.yaml and the issue 19 contract
// (/v1/public/program, /v1/portal/*, the member-session routes) describe them. Every call goes
// through lib/api.ts (same origin, session cookie, CSRF header on writes).
import { api, newIdempotencyKey, request } from '../lib/api';
import type { Member, Session } from '../lib/session';

export type MemberSession = Extract<Session, { kind: 'member' }>;

export interface PublicTier {
  id: string;
  name: string;
  metric: 'qualifying_points' | 'spend' | 'purchases';
  threshold: number;
  earn_multiplier?: { numerator: number; denominator: number };
  benefits: string[];
}

export interface PublicStampCard {
  id: string;
  name: string;
  stamps_required: number;
  stamps_per?: 'purchase' | 'item';
  valid_days?: number | null;
  reward?: { points?: number | null; reward_id?: string | null; name?: string | null; description?: string | null };
}

export interface Reward {
  id: string;
  name: string;
  description?: string | null;
  terms?: string | null;
  image_url?: string | null;
  type?: 'discount_amount' | 'discount_percent' | 'free_product' | 'gift' | 'partner_voucher';
  value?: number;
  sku?: string | null;
  cost_points?: number | null;
  tiers?: string[];
  valid_from?: string | null;
  valid_to?: string | null;
  min_amount?: number | null;
  skus?: string[];
  categories?: string[];
  coupon_valid_days?: number;
  status?: 'active' | 'inactive' | 'archived';
  // With ?member_id= (GET /v1/rewards): what the member lacks.
  affordable?: boolean;
  points_missing?: number;
  eligible?: boolean;
  reason?: string | null;
}

export interface Offer {
  id: string;
  name: string;
  description?: string | null;
  valid_from?: string | null;
  valid_to?: string | null;
  valid_until?: string | null; // the contract's first name for valid_to
}

export interface PublicProgram {
  id: string;
  name: string;
  currency: string;
  time_zone: string;
  enrollment: 'open' | 'invitation' | 'closed';
  earn_rate: { points: number; per_amount: number };
  point_value?: { amount: number; points: number };
  excluded_categories?: string[];
  expiry?: { policy: 'none' | 'rolling'; months?: number };
  tiers: PublicTier[];
  stamp_cards: PublicStampCard[];
  rewards: Reward[];
  offers: Offer[];
}

export interface Balance {
  member_id: string;
  available: number;
  pending: number;
  owed: number;
  lifetime_earned: number;
  lifetime_redeemed: number;
  lifetime_expired: number;
  expiring: { expires_at: string; points: number }[];
}

export interface TierState {
  tier: { name: string; threshold: number; perks?: string[] };
  since: string;
  metric: 'qualifying_points' | 'spend' | 'purchases';
  value: number;
  next: { name: string; threshold: number; missing: number; by: string; text?: string } | null;
}

export interface StampProgress {
  card_id: string;
  name: string;
  stamps_required: number;
  stamps: number;
  missing: number;
  started_at: string | null;
  expires_at: string | null;
  completed: number;
  reward?: { points?: number | null; reward_id?: string | null; name?: string | null };
}

export interface Wallet {
  currency: string;
  balance: number;
  available: number;
  pending: number;
}

export interface LedgerEntry {
  id: string;
  type: string;
  points: number;
  balance_after: number;
  reference: string | null;
  reason: string | null;
  created_at: string;
}

// A purchase as GET /v1/members/{id}/purchases lists it (the purchases branch of issue 19).
export interface Purchase {
  id: string;
  external_id?: string;
  occurred_at: string;
  currency: string;
  amount: number;
  discount?: number;
  item_count?: number;
  points_earned?: number;
  points_reversed?: number;
  cashback?: number;
  returned_amount?: number;
  status?: 'completed' | 'partially_returned' | 'returned';
  location?: string | null;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Coupon {
  code: string;
  status: 'active' | 'issued' | 'redeemed' | 'expired' | 'cancelled';
  member_id?: string;
  reward_id?: string;
  reward?: { id?: string; name?: string; description?: string | null } | null;
  reward_name?: string;
  issued_at?: string;
  expires_at?: string | null;
  valid_until?: string | null;
  redeemed_at?: string | null;
  location?: string | null;
  points_available?: number;
}

export interface Referral {
  member_id: string;
  status: 'invited' | 'expired' | 'qualified' | 'rewarded' | 'reversed';
  enrolled_at: string;
}

export interface Referrals {
  referral_code: string;
  data: Referral[];
  next_cursor: string | null;
}

export interface SignUpBody {
  program_id?: string;
  email?: string;
  phone?: string;
  password: string;
  first_name?: string;
  last_name?: string;
  invitation_code?: string;
  consents?: Consents;
}

export interface Consents {
  email: boolean;
  sms: boolean;
  push: boolean;
}

export interface FullMember extends Member {
  birth_date?: string | null;
  consents?: Partial<Consents> | null;
  referral_code?: string;
  status?: string;
  enrolled_at?: string;
}

export type ProfilePatch = Partial<{
  first_name: string | null;
  last_name: string | null;
  phone: string | null;
  birth_date: string | null;
  locale: string | null;
  consents: Consents;
}>;

const m = (id: string) => `/v1/members/${encodeURIComponent(id)}`;
const c = (code: string) => `/v1/coupons/${encodeURIComponent(code)}`;

export const portalApi = {
  program: (programId?: string) =>
    api.get<PublicProgram>('/v1/public/program', { program_id: programId }),
  signUp: (body: SignUpBody) => api.post<MemberSession>('/v1/portal/sign-up', body),
  requestReset: (login: string, programId?: string) =>
    api.post<void>('/v1/portal/password-resets', { login, program_id: programId }),
  confirmReset: (token: string, password: string) =>
    api.post<void>('/v1/portal/password-resets/confirm', { token, password }),
  changePassword: (current: string, next: string) =>
    api.post<void>('/v1/sessions/current/password', { current_password: current, new_password: next }),
  member: (id: string) => api.get<FullMember>(m(id)),
  patchMember: (id: string, patch: ProfilePatch) => api.patch<FullMember>(m(id), patch),
  balance: (id: string) => api.get<Balance>(`${m(id)}/balance`),
  tier: (id: string) => api.get<TierState>(`${m(id)}/tier`),
  stampCards: (id: string) => api.get<{ data: StampProgress[] }>(`${m(id)}/stamp-cards`),
  wallet: (id: string) => api.get<Wallet>(`${m(id)}/wallet`),
  ledger: (id: string, cursor?: string) =>
    api.get<Page<LedgerEntry>>(`${m(id)}/ledger`, { limit: 20, cursor }),
  purchases: (id: string, cursor?: string) =>
    api.get<Page<Purchase>>(`${m(id)}/purchases`, { limit: 20, cursor }),
  rewards: (id: string, cursor?: string) =>
    api.get<Page<Reward>>('/v1/rewards', { member_id: id, limit: 100, cursor }),
  redeem: (id: string, rewardId: string, idempotencyKey = newIdempotencyKey()) =>
    api.post<Coupon>(`${m(id)}/rewards/${encodeURIComponent(rewardId)}/redeem`, {}, { idempotencyKey }),
  coupons: (id: string, cursor?: string) =>
    api.get<Page<Coupon>>(`${m(id)}/coupons`, { limit: 50, cursor }),
  coupon: (code: string, signal?: AbortSignal) => request<Coupon>('GET', c(code), { signal }),
  referrals: (id: string) => api.get<Referrals>(`${m(id)}/referrals`, { limit: 50 }),
  exportData: (id: string) => api.get<unknown>(`${m(id)}/export`),
};

// The pictures the server draws (SVG, read with the session cookie by an <img>).
export const pictures = {
  cardQr: (id: string) => `${m(id)}/card/qr.svg`,
  cardBarcode: (id: string) => `${m(id)}/card/barcode.svg`,
  couponQr: (code: string) => `${c(code)}/qr.svg`,
  couponBarcode: (code: string) => `${c(code)}/barcode.svg`,
};

