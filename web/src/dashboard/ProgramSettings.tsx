// SPDX-License-Identifier: MIT
// Program settings: GET and PATCH /v1/program. Every setting the API shows, grouped; an admin
// changes them (only the fields changed are sent, as a merge patch), a viewer reads them. The
// API's error names the field ("earn_rate.per_amount"); it is shown at that control.
import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Alert, Button, Card } from '../lib/components';
import { formatDateTime } from '../lib/format';
import { t } from '../lib/i18n';
import { useDash } from './ctx';
import type { Program } from './ctx';
import { Facts, PageHeader, Saved, SpecFields, changedFields, useSpecForm } from './ui';
import type { Spec } from './ui';

function timeZones(current: string): { value: string; label: string }[] {
  let zones: string[] = [];
  try {
    zones = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  const all = new Set(['UTC', ...zones, current]);
  return [...all].map((z) => ({ value: z, label: z }));
}

interface Group {
  title: string;
  specs: Spec[];
  toggle?: { path: string; label: string }; // a nullable object: on, or null
}

function groups(program: Program): Group[] {
  const yes = (path: string, label: string, hint?: string): Spec => ({ path, label, kind: 'bool', hint });
  const int = (path: string, label: string, hint?: string): Spec => ({ path, label, kind: 'int', hint, required: true });
  const general: Spec[] = [
    { path: 'name', label: t('dash.program.name'), kind: 'text', required: true },
    { path: 'currency', label: t('dash.program.currency'), kind: 'text', required: true, hint: t('dash.program.currency_hint') },
    { path: 'time_zone', label: t('dash.program.time_zone'), kind: 'select', options: timeZones(program.time_zone) },
  ];
  if ('enrollment' in program) {
    general.push({
      path: 'enrollment',
      label: t('dash.program.enrollment'),
      kind: 'select',
      options: ['open', 'invitation', 'closed'].map((v) => ({ value: v, label: t(`dash.program.enrollment_${v}` as 'dash.program.enrollment_open') })),
    });
  }
  return [
    { title: t('dash.program.general'), specs: general },
    {
      title: t('dash.program.earning'),
      specs: [
        int('earn_rate.points', t('dash.program.earn_points'), t('dash.program.earn_points_hint')),
        { path: 'earn_rate.per_amount', label: t('dash.program.earn_per_amount'), kind: 'money', required: true },
        { path: 'point_value.points', label: t('dash.program.point_value_points'), kind: 'int', required: true },
        { path: 'point_value.amount', label: t('dash.program.point_value_amount'), kind: 'money', required: true, hint: t('dash.program.point_value_hint') },
        int('pending_days', t('dash.program.pending_days'), t('dash.program.pending_days_hint')),
        { path: 'excluded_categories', label: t('dash.program.excluded_categories'), kind: 'list', hint: t('dash.form.list_hint') },
      ],
    },
    {
      title: t('dash.program.expiry'),
      specs: [
        {
          path: 'expiry.policy',
          label: t('dash.program.expiry_policy'),
          kind: 'select',
          options: [
            { value: 'none', label: t('dash.program.expiry_none') },
            { value: 'rolling', label: t('dash.program.expiry_rolling') },
          ],
        },
        { path: 'expiry.months', label: t('dash.program.expiry_months'), kind: 'int' },
      ],
    },
    {
      title: t('dash.program.balances'),
      specs: [
        yes('allow_negative_balance', t('dash.program.allow_negative_balance')),
        int('return_days', t('dash.program.return_days'), t('dash.program.return_days_hint')),
        yes('hold_returnable', t('dash.program.hold_returnable'), t('dash.program.hold_returnable_hint')),
        yes('spend_before_discounts', t('dash.program.spend_before_discounts')),
        yes('best_discount_only', t('dash.program.best_discount_only')),
        int('adjust_limits.staff', t('dash.program.adjust_staff'), t('dash.program.adjust_hint')),
        int('adjust_limits.admin', t('dash.program.adjust_admin')),
      ],
    },
    {
      title: t('dash.program.wallet'),
      specs: [
        int('wallet.pending_days', t('dash.program.wallet_pending_days')),
        yes('wallet.payment_earns_cashback', t('dash.program.wallet_earns')),
      ],
    },
    {
      title: t('dash.program.points_payment'),
      specs: [
        yes('points_payment.enabled', t('dash.program.pp_enabled'), t('dash.program.pp_enabled_hint')),
        int('points_payment.min_points', t('dash.program.pp_min_points')),
        int('points_payment.max_percent', t('dash.program.pp_max_percent')),
        int('points_payment.multiple', t('dash.program.pp_multiple')),
        yes('points_payment.earns_points', t('dash.program.pp_earns')),
      ],
    },
    {
      title: t('dash.program.referrals'),
      toggle: { path: 'referrals', label: t('dash.program.referrals_on') },
      specs: [
        { path: 'referrals.referrer.points', label: t('dash.program.ref_referrer_points'), kind: 'int' },
        { path: 'referrals.referrer.wallet', label: t('dash.program.ref_referrer_wallet'), kind: 'money' },
        { path: 'referrals.referee.points', label: t('dash.program.ref_referee_points'), kind: 'int' },
        { path: 'referrals.referee.wallet', label: t('dash.program.ref_referee_wallet'), kind: 'money' },
        { path: 'referrals.min_amount', label: t('dash.program.ref_min_amount'), kind: 'money' },
        { path: 'referrals.within_days', label: t('dash.program.ref_within_days'), kind: 'int' },
        { path: 'referrals.max_per_referrer_per_month', label: t('dash.program.ref_max_per_month'), kind: 'int', nullable: true },
      ],
    },
    {
      title: t('dash.program.rate_limits'),
      specs: (['key', 'program', 'expensive'] as const).flatMap((b) => [
        { path: `rate_limits.${b}.per_second`, label: t(`dash.program.rate_${b}_per_second`), kind: 'int' as const },
        { path: `rate_limits.${b}.burst`, label: t(`dash.program.rate_${b}_burst`), kind: 'int' as const },
      ]),
    },
  ];
}

// Shown apart: the program's identity and times, and the tiers (their own screen).
const KNOWN = ['id', 'rounding', 'created_at', 'updated_at', 'tiers'];

export function ProgramSettings() {
  const { program, setProgram, canWrite } = useDash();
  const all = useMemo(() => groups(program), [program]);
  const specs = all.flatMap((g) => g.specs);
  const form = useSpecForm(specs, program, program.currency);
  const [referralsOn, setReferralsOn] = useState(program.referrals !== null && program.referrals !== undefined);
  const [saved, setSaved] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    const ok = await form.submit(async (obj) => {
      const expiry = obj.expiry as { policy?: string; months?: number } | undefined;
      if (expiry?.policy === 'none') {
        delete expiry.months;
      }
      if (!referralsOn) {
        obj.referrals = null;
      }
      const patch = changedFields(program as Record<string, unknown>, obj);
      if (Object.keys(patch).length === 0) {
        return;
      }
      const next = await api.patch<Program>('/v1/program', patch);
      setProgram(next);
    });
    setSaved(ok);
  };
  return (
    <>
      <PageHeader title={t('dash.program.title')} />
      <form onSubmit={submit} noValidate class="dash-form">
        {form.formError && <Alert>{form.formError}</Alert>}
        {all.map((group) => (
          <Card key={group.title} title={group.title}>
            {group.toggle && (
              <div class="pt-field dash-check">
                <label>
                  <input
                    type="checkbox"
                    name={group.toggle.path}
                    checked={referralsOn}
                    disabled={!canWrite}
                    onChange={(e) => setReferralsOn(e.currentTarget.checked)}
                  />
                  <span>{group.toggle.label}</span>
                </label>
              </div>
            )}
            {(!group.toggle || referralsOn) && (
              <SpecFields specs={group.specs} form={form} readOnly={!canWrite} currency={program.currency} />
            )}
          </Card>
        ))}
        <Card title={t('dash.program.about')}>
          <Facts
            items={[
              [t('dash.program.id'), <code>{program.id}</code>],
              [t('dash.program.rounding'), String(program.rounding ?? 'floor')],
              [t('dash.created_at'), formatDateTime(String(program.created_at), program.time_zone)],
              [t('dash.updated_at'), formatDateTime(String(program.updated_at), program.time_zone)],
              // Settings a newer server has that this screen does not edit yet, shown as they are.
              ...Object.entries(program)
                .filter(([key]) => !KNOWN.includes(key) && !specs.some((spec) => spec.path.split('.')[0] === key))
                .map(([key, value]): [string, ComponentChildren] => [key, <code>{JSON.stringify(value)}</code>]),
            ]}
          />
        </Card>
        {canWrite && (
          <div class="dash-sticky-actions">
            {saved && <Saved>{t('dash.saved')}</Saved>}
            <Button type="submit" busy={form.busy}>
              {t('dash.program.save')}
            </Button>
          </div>
        )}
      </form>
    </>
  );
}
