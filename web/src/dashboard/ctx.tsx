// SPDX-License-Identifier: MIT
// What every dashboard screen may ask for: who is signed in, whether they may change things
// (admin) or only look (viewer), and the program's settings (its currency and time zone format
// every amount and date). The program is read once after sign-in and again after a change.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Session } from '../lib/session';

export interface EarnRate {
  points: number;
  per_amount: number;
}

export interface TierLevel {
  name: string;
  threshold: number;
  earn_multiplier?: { numerator: number; denominator: number };
  perks?: string[];
}

export interface Tiers {
  metric: 'qualifying_points' | 'spend' | 'purchases';
  window: 'calendar_year' | { rolling_months: number };
  retain: boolean;
  levels: TierLevel[];
}

// GET /v1/program (docs/openapi.yaml, Program). Fields a newer server adds are kept as they come.
export interface Program {
  id: string;
  name: string;
  currency: string;
  time_zone: string;
  earn_rate: EarnRate;
  tiers: Tiers | null;
  point_value?: { amount: number; points: number };
  [field: string]: unknown;
}

export type UserSession = Extract<Session, { kind: 'user' }>;

export interface Dash {
  session: UserSession;
  canWrite: boolean; // admin: every write control; viewer: none
  program: Program;
  setProgram: (program: Program) => void;
}

export const DashContext = createContext<Dash | null>(null);

export function useDash(): Dash {
  const dash = useContext(DashContext);
  if (dash === null) {
    throw new Error('useDash outside the dashboard');
  }
  return dash;
}
