// SPDX-License-Identifier: MIT
// The shapes of the API's answers the till reads (docs/openapi.yaml), only the fields it uses.

export interface Member {
  id: string;
  card_number: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  status: 'active' | 'suspended' | 'closed';
  enrolled_at: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Balance {
  member_id: string;
  available: number;
  pending: number;
  owed: number;
}

export interface MemberTier {
  tier: { name: string } | null;
  next: { name: string; missing: number; text?: string } | null;
}

export interface StampProgress {
  card_id: string;
  name: string;
  stamps_required: number;
  stamps: number;
  missing: number;
  completed: number;
}

// GET /v1/public/program (issue 19 contract), or GET /v1/program for an admin.
export interface Program {
  id: string;
  name: string;
  currency: string;
  time_zone: string;
  tiers?: unknown; // a list (public program) or an object or null (settings)
}

export type PaymentMethod = 'card' | 'cash' | 'points' | 'wallet' | 'other';

export interface PaymentLine {
  method: PaymentMethod;
  amount?: number;
  points?: number;
}

export interface Payment {
  method: PaymentMethod;
  amount: number;
  points: number;
}

export interface RuleApplied {
  rule_id: string;
  name: string;
  points: number;
  discount: number;
  free_units: number;
  free_shipping: boolean;
  capped: boolean;
}

export interface Nudge {
  rule_id: string;
  text: string;
  missing: number;
  sku?: string;
}

export interface StampGain {
  card_id: string;
  name: string;
  stamps: number;
  progress?: number;
  completed?: number;
}

export interface CartCoupon {
  code: string;
  kind: 'coupon' | 'promo_code' | 'rule_code';
  applied: boolean;
  reason: string | null;
  discount: number;
  name?: string | null;
}

export interface IssuedCoupon {
  reward_id: string;
  code: string | null;
  expires_at: string | null;
  reason: string | null;
  status?: 'cancelled' | 'redeemed';
}

// POST /v1/carts/evaluate; a purchase answers the same fields and more.
export interface CartAnswer {
  amount: number;
  points: number;
  discount: number;
  base_points: number;
  tier: string | null;
  tier_points: number;
  cashback: number;
  stamps: StampGain[];
  rules: RuleApplied[];
  lines: { line: number; discount: number }[];
  free_shipping: boolean;
  messages: string[];
  nudges: Nudge[];
  coupons: CartCoupon[];
  to_pay: number;
  payments: Payment[];
  balance_due: number;
  points_payment: { max_points: number; max_amount: number } | null;
}

export interface PurchaseItem {
  sku: string;
  name: string | null;
  category: string | null;
  quantity: number;
  unit_price: number;
}

export interface Purchase extends CartAnswer {
  id: string;
  external_id: string;
  member_id: string;
  occurred_at: string;
  currency: string;
  items: PurchaseItem[];
  points_earned: number;
  points_pending: number;
  balance: Balance;
  stamp_cards?: StampGain[];
  coupons_issued: IssuedCoupon[];
}

export interface Coupon {
  code: string;
  kind: 'coupon' | 'promo_code';
  status?: 'active' | 'redeemed' | 'expired' | 'cancelled';
  valid: boolean;
  reason: string | null;
  reward?: { id?: string; name?: string; type?: string; value?: number; sku?: string | null } | null;
  discount?: { type: string; value: number; sku?: string | null } | null;
  member?: { id: string; first_name: string | null; last_name: string | null; card_number: string } | null;
  issued_at?: string;
  expires_at?: string;
  redeemed_at?: string | null;
  location?: string | null;
  uses?: number;
  uses_per_code?: number;
  valid_from?: string | null;
  valid_to?: string | null;
}

export interface Refund {
  method: PaymentMethod;
  amount: number;
  points: number;
}

export interface Return {
  id: string;
  transaction_id: string;
  member_id: string;
  amount: number;
  points_reversed: number;
  points_owed: number;
  reward_points_reversed: number;
  coupons_taken_back: IssuedCoupon[];
  refunds: Refund[];
  balance: Balance;
}
