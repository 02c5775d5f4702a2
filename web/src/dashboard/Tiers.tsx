// SPDX-License-Identifier: MIT
// Status tiers (docs/tiers.md): the program setting `tiers` — what qualifies (metric), over which
// window, whether a member keeps a tier one window more, and the levels lowest first with their
// threshold, earn multiplier and perks. PATCH /v1/program {"tiers": …}; the API's error names
// the field ("tiers.levels.2.threshold") and is shown at that level's control.
import { useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Alert, Button, Card } from '../lib/components';
import { t } from '../lib/i18n';
import { useDash } from './ctx';
import type { Program, TierLevel, Tiers } from './ctx';
import { PageHeader, Saved, SpecControl, apiErrors, focusFirstError, fromValues, toValues } from './ui';
import type { Spec } from './ui';

function levelSpecs(i: number, metric: string): Spec[] {
  const p = `tiers.levels.${i}`;
  return [
    { path: `${p}.name`, label: t('dash.tiers.level_name'), kind: 'text', required: true },
    {
      path: `${p}.threshold`,
      label: t('dash.tiers.threshold'),
      kind: metric === 'spend' ? 'money' : 'int',
      required: true,
      readOnly: i === 0,
      hint: i === 0 ? t('dash.tiers.first_threshold') : undefined,
    },
    { path: `${p}.earn_multiplier.numerator`, label: t('dash.tiers.numerator'), kind: 'int' },
    { path: `${p}.earn_multiplier.denominator`, label: t('dash.tiers.denominator'), kind: 'int' },
    { path: `${p}.perks`, label: t('dash.tiers.perks'), kind: 'lines', hint: t('dash.form.lines_hint') },
  ];
}

const HEAD: Spec[] = [
  { path: 'tiers.metric', label: '', kind: 'select' },
  { path: 'tiers.window_kind', label: '', kind: 'select' },
  { path: 'tiers.window.rolling_months', label: '', kind: 'int' },
  { path: 'tiers.retain', label: '', kind: 'bool' },
];

function initialValues(tiers: Tiers | null, currency: string): Record<string, string> {
  const base: Tiers = tiers ?? {
    metric: 'spend',
    window: { rolling_months: 12 },
    retain: true,
    levels: [{ name: 'Member', threshold: 0 }],
  };
  const metric = base.metric;
  const specs = [...HEAD, ...base.levels.flatMap((_, i) => levelSpecs(i, metric))];
  const values = toValues(specs, { tiers: base }, currency);
  values['tiers.window_kind'] = base.window === 'calendar_year' ? 'calendar_year' : 'rolling';
  if (base.window === 'calendar_year') {
    values['tiers.window.rolling_months'] = '12';
  }
  return values;
}

export function TiersScreen() {
  const { program, setProgram, canWrite } = useDash();
  const currency = program.currency;
  const [enabled, setEnabled] = useState(program.tiers !== null);
  const [count, setCount] = useState(program.tiers?.levels.length ?? 1);
  const [values, setValues] = useState(() => initialValues(program.tiers, currency));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const metric = values['tiers.metric'] ?? 'spend';
  const set = (path: string) => (v: string) => setValues((old) => ({ ...old, [path]: v }));
  const rows = Array.from({ length: count }, (_, i) => levelSpecs(i, metric));

  const removeLevel = (i: number) => {
    // Shift the later levels' values up by one.
    setValues((old) => {
      const next = { ...old };
      for (let j = i; j < count - 1; j++) {
        for (const [a, b] of levelSpecs(j, metric).map((s, k) => [s.path, levelSpecs(j + 1, metric)[k]!.path])) {
          next[a!] = old[b!] ?? '';
        }
      }
      for (const s of levelSpecs(count - 1, metric)) {
        delete next[s.path];
      }
      return next;
    });
    setCount((c) => c - 1);
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setSaved(false);
    setFormError(undefined);
    let tiers: Tiers | null = null;
    if (enabled) {
      const specs = [
        { path: 'tiers.window.rolling_months', label: '', kind: 'int' as const, required: values['tiers.window_kind'] !== 'calendar_year' },
        ...rows.flat(),
      ];
      const { obj, errors: own } = fromValues(specs, values, currency);
      if (Object.keys(own).length > 0) {
        setErrors(own);
        focusFirstError();
        return;
      }
      const read = (obj.tiers ?? {}) as { levels?: TierLevel[]; window?: { rolling_months: number } };
      const levels = (read.levels ?? []).map((level, i) => {
        const m = level.earn_multiplier;
        const out: TierLevel = { name: level.name, threshold: i === 0 ? 0 : level.threshold };
        if (m && (m.numerator !== undefined || m.denominator !== undefined)) {
          out.earn_multiplier = { numerator: m.numerator ?? 1, denominator: m.denominator ?? 1 };
        }
        out.perks = level.perks ?? [];
        return out;
      });
      tiers = {
        metric: metric as Tiers['metric'],
        window: values['tiers.window_kind'] === 'calendar_year' ? 'calendar_year' : { rolling_months: read.window!.rolling_months },
        retain: values['tiers.retain'] === 'true',
        levels,
      };
    }
    setErrors({});
    setBusy(true);
    try {
      setProgram(await api.patch<Program>('/v1/program', { tiers }));
      setSaved(true);
    } catch (e) {
      const found = apiErrors(e, [...HEAD.map((s) => s.path), ...rows.flat().map((s) => s.path), 'tiers.window.rolling_months']);
      setErrors(found.fields);
      setFormError(found.form);
      focusFirstError();
    } finally {
      setBusy(false);
    }
  };

  const ctl = (spec: Spec) => (
    <SpecControl
      key={spec.path}
      spec={spec}
      value={values[spec.path] ?? ''}
      onValue={set(spec.path)}
      error={errors[spec.path]}
      readOnly={!canWrite}
      currency={currency}
    />
  );

  return (
    <>
      <PageHeader title={t('dash.tiers.title')} />
      <p class="pt-lead">{t('dash.tiers.lead')}</p>
      <form onSubmit={submit} noValidate class="dash-form">
        {formError && <Alert>{formError}</Alert>}
        <Card>
          <div class="pt-field dash-check">
            <label>
              <input type="checkbox" name="tiers" checked={enabled} disabled={!canWrite} onChange={(e) => setEnabled(e.currentTarget.checked)} />
              <span>{t('dash.tiers.enabled')}</span>
            </label>
          </div>
          {enabled && (
            <div class="dash-grid">
              {ctl({
                path: 'tiers.metric',
                label: t('dash.tiers.metric'),
                kind: 'select',
                options: ['qualifying_points', 'spend', 'purchases'].map((m) => ({ value: m, label: t(`dash.tiers.metric_${m}` as 'dash.tiers.metric_spend') })),
              })}
              {ctl({
                path: 'tiers.window_kind',
                label: t('dash.tiers.window'),
                kind: 'select',
                options: [
                  { value: 'rolling', label: t('dash.tiers.window_rolling') },
                  { value: 'calendar_year', label: t('dash.tiers.window_calendar') },
                ],
              })}
              {values['tiers.window_kind'] !== 'calendar_year' &&
                ctl({ path: 'tiers.window.rolling_months', label: t('dash.tiers.rolling_months'), kind: 'int' })}
              {ctl({ path: 'tiers.retain', label: t('dash.tiers.retain'), kind: 'bool', hint: t('dash.tiers.retain_hint') })}
            </div>
          )}
        </Card>
        {enabled &&
          rows.map((specs, i) => (
            <Card key={i} title={t('dash.tiers.level', { n: i + 1 })}>
              <div class="dash-grid">{specs.map(ctl)}</div>
              {canWrite && i > 0 && (
                <Button variant="secondary" onClick={() => removeLevel(i)}>
                  {t('dash.tiers.remove_level', { n: i + 1 })}
                </Button>
              )}
            </Card>
          ))}
        {canWrite && (
          <div class="dash-sticky-actions">
            {saved && <Saved>{t('dash.saved')}</Saved>}
            {enabled && count < 10 && (
              <Button variant="secondary" onClick={() => setCount((c) => c + 1)}>
                {t('dash.tiers.add_level')}
              </Button>
            )}
            <Button type="submit" busy={busy}>
              {t('dash.tiers.save')}
            </Button>
          </div>
        )}
      </form>
    </>
  );
}
