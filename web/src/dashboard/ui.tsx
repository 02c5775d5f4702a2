// SPDX-License-Identifier: MIT
// The dashboard's own building blocks on top of lib/components: loading a resource, paging a
// list by its cursor, labelled controls of every kind (text, number, money, checkbox, select,
// text area) that show the API's error at their field, and forms described by a list of field
// specs (a path into the API's object, a kind, a label) so that an answer's `field`
// ("earn_rate.points", "tiers.levels.2.threshold") lands on the control of that path.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../lib/api';
import type { Query } from '../lib/api';
import { errorText } from '../lib/app';
import { Alert, Button } from '../lib/components';
import { formatMoney, formatNumber } from '../lib/format';
import { fromValues, toValues } from './form';
import type { Option, Spec } from './form';

export { changedFields, fromLocalInput, fromValues, getPath, setPath, toLocalInput, toValues, valueText } from './form';
export type { Kind, Option, Spec } from './form';
import { t } from '../lib/i18n';
import type { MessageKey, Params } from '../lib/i18n';

// A message whose key is built at run time ("dash.status." + status); the catalogs' test checks
// that every such key exists in all four languages.
export function tk(key: string, params?: Params): string {
  return t(key as MessageKey, params);
}

// ---- Loading ----

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

// Runs load when deps change (and on reload()); the newest answer wins.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setState((s) => ({ data: s.data, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, loading: false }),
      (error: unknown) => mine === seq.current && setState({ error, loading: false }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Paged<T> {
  rows: T[];
  loading: boolean;
  error: unknown;
  page: number; // 1-based
  hasNext: boolean;
  next: () => void;
  prev: () => void;
  reload: () => void;
}

// A list of the API (data + next_cursor), a page at a time; the cursors of the pages seen are
// kept so that Previous goes back. A change of path, query or version (a change the caller made,
// not sent: the API refuses query parameters it does not know) starts again at page 1.
export function usePaged<T>(path: string, query: Query = {}, limit = 20, version = 0): Paged<T> {
  const key = path + JSON.stringify(query) + version;
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [currentKey, setCurrentKey] = useState(key);
  if (currentKey !== key) {
    setCurrentKey(key);
    setCursors([undefined]);
  }
  const cursor = cursors[cursors.length - 1];
  const loaded = useLoad(
    () => api.get<Page<T>>(path, { ...query, limit, cursor }),
    [key, cursor],
  );
  return {
    rows: loaded.data?.data ?? [],
    loading: loaded.loading,
    error: loaded.error,
    page: cursors.length,
    hasNext: !!loaded.data?.next_cursor,
    next: () => {
      const n = loaded.data?.next_cursor;
      if (n) {
        setCursors((c) => [...c, n]);
      }
    },
    prev: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reload: loaded.reload,
  };
}

export function Pager({ paged, label }: { paged: Paged<unknown>; label: string }) {
  if (paged.page === 1 && !paged.hasNext) {
    return null;
  }
  return (
    <nav class="dash-pager" aria-label={label}>
      <Button variant="secondary" disabled={paged.page === 1 || paged.loading} onClick={paged.prev}>
        {t('dash.pager.previous')}
      </Button>
      <span aria-live="polite">{t('dash.pager.page', { page: formatNumber(paged.page) })}</span>
      <Button variant="secondary" disabled={!paged.hasNext || paged.loading} onClick={paged.next}>
        {t('dash.pager.next')}
      </Button>
    </nav>
  );
}

// A failed load: the sentence, and a retry.
export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <Alert>
      <p>{errorText(error)}</p>
      {retry && (
        <Button variant="secondary" onClick={retry}>
          {t('dash.retry')}
        </Button>
      )}
    </Alert>
  );
}

// The state of a loaded thing: a message while loading, the error, or the children.
export function Loading<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.error !== undefined) {
    return <LoadError error={loaded.error} retry={loaded.reload} />;
  }
  if (loaded.data === undefined) {
    return (
      <p class="pt-loading" role="status">
        {t('common.loading')}
      </p>
    );
  }
  return <>{children(loaded.data)}</>;
}

// True when the API has no such route yet (a 404 on a thing known to exist).
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 405);
}

// The catalog's rewards as the options of a select (a stamp card's reward, a batch's): the
// first 200, newest first, archived ones left out; the current value stays even if absent.
export function useRewardOptions(current: string | null | undefined, none?: string): Option[] {
  const loaded = useLoad(() => api.get<Page<{ id: string; name: string; status: string }>>('/v1/rewards', { limit: 200 }), []);
  const options: Option[] = none !== undefined ? [{ value: '', label: none }] : [];
  for (const r of loaded.data?.data ?? []) {
    if (r.status !== 'archived' || r.id === current) {
      options.push({ value: r.id, label: `${r.name} (${r.id})` });
    }
  }
  if (current && !options.some((o) => o.value === current)) {
    options.push({ value: current, label: current });
  }
  return options;
}

// ---- Display ----

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="dash-page-header">
      <h1>{title}</h1>
      {children && <div class="dash-actions">{children}</div>}
    </div>
  );
}

export function Badge({ status }: { status: string }) {
  return <span class={`dash-badge dash-badge-${status}`}>{tk(`dash.status.${status}`)}</span>;
}

export function Points({ value }: { value: number | null | undefined }) {
  return <>{value === null || value === undefined ? '—' : formatNumber(value)}</>;
}

export function Money({ value, currency }: { value: number | null | undefined; currency: string }) {
  return <>{value === null || value === undefined ? '—' : formatMoney(value, currency)}</>;
}

// Label and value pairs, read-only.
export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="dash-facts">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value === null || value === undefined || value === '' ? '—' : value}</dd>
        </div>
      ))}
    </dl>
  );
}

// An action that asks first (revoke, archive).
export function ConfirmButton({
  label,
  question,
  onConfirm,
  variant = 'danger',
}: {
  label: string;
  question: string;
  onConfirm: () => Promise<void> | void;
  variant?: 'primary' | 'secondary' | 'danger';
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const group = useRef<HTMLSpanElement>(null);
  // The question replaces the button: the focus moves to its safe answer (No), not to the page.
  useEffect(() => {
    if (asking) {
      group.current?.querySelector<HTMLButtonElement>('button:last-child')?.focus();
    }
  }, [asking]);
  if (!asking) {
    return (
      <Button variant={variant} onClick={() => setAsking(true)}>
        {label}
      </Button>
    );
  }
  return (
    <span class="dash-confirm" role="group" aria-label={question} ref={group}>
      <span>{question}</span>
      <Button
        variant="danger"
        busy={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {t('dash.confirm.yes')}
      </Button>
      <Button variant="secondary" onClick={() => setAsking(false)}>
        {t('dash.confirm.no')}
      </Button>
    </span>
  );
}

// ---- Controls ----

interface ControlFrame {
  label: string;
  error?: string | undefined;
  hint?: string | undefined;
  wide?: boolean;
  children: (id: string, describedBy: string | undefined) => ComponentChildren;
}

// A label, an optional hint, the control, and its error tied to it (aria-describedby).
export function Control({ label, error, hint, wide, children }: ControlFrame) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`pt-field${error ? ' pt-field-invalid' : ''}${wide ? ' dash-wide' : ''}`}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="pt-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children(id, described || undefined)}
      {error && (
        <p class="pt-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

interface SpecControlProps {
  spec: Spec;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
  readOnly?: boolean;
  currency: string;
}

export function SpecControl({ spec, value, onValue, error, readOnly, currency }: SpecControlProps) {
  const ro = readOnly || spec.readOnly;
  const common = (id: string, described: string | undefined) => ({
    id,
    name: spec.path,
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': described,
    'aria-required': spec.required ? ('true' as const) : undefined,
  });
  if (spec.kind === 'bool') {
    const id = spec.path.replace(/\W/g, '-');
    return (
      <div class={`pt-field dash-check${error ? ' pt-field-invalid' : ''}`}>
        <label>
          <input
            type="checkbox"
            name={spec.path}
            id={id}
            checked={value === 'true'}
            disabled={ro}
            aria-invalid={error ? 'true' : undefined}
            onChange={(e) => onValue(e.currentTarget.checked ? 'true' : 'false')}
          />
          <span>{spec.label}</span>
        </label>
        {spec.hint && <p class="pt-hint">{spec.hint}</p>}
        {error && (
          <p class="pt-error" role="alert">
            {error}
          </p>
        )}
      </div>
    );
  }
  const hint =
    spec.kind === 'money'
      ? [spec.hint, t('dash.form.money_hint', { currency })].filter(Boolean).join(' ')
      : spec.hint;
  return (
    <Control label={spec.label} error={error} hint={hint} wide={spec.wide || spec.kind === 'json' || spec.kind === 'lines'}>
      {(id, described) => {
        if (spec.kind === 'select') {
          return (
            <select {...common(id, described)} value={value} disabled={ro} onChange={(e) => onValue(e.currentTarget.value)}>
              {(spec.options ?? []).map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          );
        }
        if (spec.kind === 'json' || spec.kind === 'lines' || spec.kind === 'textarea') {
          return (
            <textarea
              {...common(id, described)}
              class={spec.kind === 'json' ? 'dash-code' : undefined}
              rows={spec.kind === 'json' ? 6 : 3}
              value={value}
              readOnly={ro}
              spellcheck={spec.kind !== 'json'}
              onInput={(e) => onValue(e.currentTarget.value)}
            />
          );
        }
        const type =
          spec.kind === 'email' || spec.kind === 'password' || spec.kind === 'url' || spec.kind === 'date'
            ? spec.kind
            : spec.kind === 'datetime'
              ? 'datetime-local'
              : 'text';
        const inputMode =
          spec.kind === 'int' ? 'numeric' : spec.kind === 'money' || spec.kind === 'percent' ? 'decimal' : undefined;
        return (
          <input
            {...common(id, described)}
            type={type as 'text'}
            inputMode={inputMode}
            autocomplete={spec.kind === 'password' ? 'new-password' : 'off'}
            value={value}
            readOnly={ro}
            onInput={(e) => onValue(e.currentTarget.value)}
          />
        );
      }}
    </Control>
  );
}

// The errors of a failed write: the API's field when a control shows it (or the control of its
// nearest parent path: "tiers.levels.2" for "tiers.levels.2.perks.0"), else the whole form's.
export function apiErrors(e: unknown, paths: string[]): { fields: Record<string, string>; form?: string } {
  if (e instanceof ApiError && e.field) {
    let path = e.field;
    for (;;) {
      if (paths.includes(path)) {
        return { fields: { [path]: e.message } };
      }
      const cut = path.lastIndexOf('.');
      if (cut < 0) {
        break;
      }
      path = path.slice(0, cut);
    }
    const child = paths.find((p) => p.startsWith(e.field + '.'));
    if (child !== undefined) {
      return { fields: { [child]: e.message } };
    }
    return { fields: {}, form: `${e.field}: ${e.message}` };
  }
  return { fields: {}, form: errorText(e) };
}

// A form of specs: its values, its errors and its submit (write gets the API's object).
export function useSpecForm(specs: Spec[], initial: unknown, currency: string) {
  const [values, setValues] = useState(() => toValues(specs, initial, currency));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const set = (path: string) => (value: string) => setValues((v) => ({ ...v, [path]: value }));
  const reset = (obj: unknown) => {
    setValues(toValues(specs, obj, currency));
    setErrors({});
    setFormError(undefined);
  };
  // Checks the values, calls write with the object; true when it succeeded.
  const submit = async (write: (obj: Record<string, unknown>) => Promise<void>): Promise<boolean> => {
    const { obj, errors: own } = fromValues(specs, values, currency);
    setFormError(undefined);
    if (Object.keys(own).length > 0) {
      setErrors(own);
      focusFirstError();
      return false;
    }
    setErrors({});
    setBusy(true);
    try {
      await write(obj);
      return true;
    } catch (e) {
      const found = apiErrors(
        e,
        specs.map((s) => s.path),
      );
      setErrors(found.fields);
      setFormError(found.form);
      focusFirstError();
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { values, set, errors, setErrors, formError, setFormError, busy, submit, reset };
}

// After a failed submit, the first control marked invalid gets the focus (and is scrolled to).
export function focusFirstError(): void {
  requestAnimationFrame(() => {
    const el = document.querySelector<HTMLElement>('[aria-invalid="true"], .pt-alert');
    el?.focus();
    el?.scrollIntoView({ block: 'center' });
  });
}

export function SpecFields({
  specs,
  form,
  readOnly,
  currency,
}: {
  specs: Spec[];
  form: ReturnType<typeof useSpecForm>;
  readOnly?: boolean;
  currency: string;
}) {
  return (
    <div class="dash-grid">
      {specs.map((spec) => (
        <SpecControl
          key={spec.path}
          spec={spec}
          value={form.values[spec.path] ?? ''}
          onValue={form.set(spec.path)}
          error={form.errors[spec.path]}
          readOnly={readOnly}
          currency={currency}
        />
      ))}
    </div>
  );
}

// A message that a write succeeded (role=status: read out, not interrupting).
export function Saved({ children }: { children: ComponentChildren }) {
  return (
    <p class="dash-saved" role="status">
      {children}
    </p>
  );
}
