// SPDX-License-Identifier: MIT
// The values of the dashboard's forms, without a browser (tests/dashboard-logic.test.ts): a form
// is a list of specs, each a path into the API's object, a kind and a label; its controls show
// text, and the text is read back into the API's values (money in minor units of the program's
// currency, percents in hundredths, lists, JSON, local times as RFC 3339).
import { minorDigits, parseMoney } from '../lib/format';
import { t } from '../lib/i18n';

export interface Option {
  value: string;
  label: string;
}

export type Kind =
  | 'text'
  | 'email'
  | 'password'
  | 'url'
  | 'int'
  | 'money'
  | 'percent'
  | 'bool'
  | 'select'
  | 'lines'
  | 'list'
  | 'textarea'
  | 'json'
  | 'date'
  | 'datetime';

// One control of a form: path is where its value sits in the API's object.
export interface Spec {
  path: string;
  label: string;
  kind: Kind;
  hint?: string;
  options?: Option[];
  nullable?: boolean; // empty means null (else empty leaves the field out)
  required?: boolean;
  readOnly?: boolean;
  wide?: boolean;
}

export function getPath(obj: unknown, path: string): unknown {
  let at: unknown = obj;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') {
      return undefined;
    }
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

// Sets path ("tiers.levels.2.name") in obj, making the objects on the way; a numeric part makes
// a list ("levels" becomes an array, as the API wants it).
export function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at: Record<string, unknown> = obj;
  parts.slice(0, -1).forEach((part, i) => {
    const next = at[part];
    if (next === null || typeof next !== 'object') {
      at[part] = /^\d+$/.test(parts[i + 1]!) ? [] : {};
    }
    at = at[part] as Record<string, unknown>;
  });
  at[parts[parts.length - 1]!] = value;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

// An RFC 3339 time as <input type=datetime-local> shows it (the browser's time zone).
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(text: string): string | null {
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The text a control shows for the value v of its spec.
export function valueText(spec: Spec, v: unknown, currency: string): string {
  if (v === undefined || v === null) {
    return spec.kind === 'bool' ? 'false' : '';
  }
  switch (spec.kind) {
    case 'bool':
      return v ? 'true' : 'false';
    case 'money': {
      const digits = minorDigits(currency);
      return typeof v === 'number' ? (v / 10 ** digits).toFixed(digits) : String(v);
    }
    case 'percent':
      return typeof v === 'number' ? (v / 100).toString() : String(v);
    case 'list':
      return Array.isArray(v) ? v.join(', ') : String(v);
    case 'lines':
      return Array.isArray(v) ? v.join('\n') : String(v);
    case 'json':
      return JSON.stringify(v, null, 2);
    case 'datetime':
      return typeof v === 'string' ? toLocalInput(v) : '';
    default:
      return String(v);
  }
}

export function toValues(specs: Spec[], obj: unknown, currency: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const spec of specs) {
    values[spec.path] = valueText(spec, getPath(obj, spec.path), currency);
  }
  return values;
}

// Reads one control's text back into the API's value; undefined leaves the field out, a string
// in `error` is the control's own complaint (no request is sent).
function parseValue(spec: Spec, text: string, currency: string): { value?: unknown; error?: string } {
  const trimmed = text.trim();
  if (trimmed === '' && spec.kind !== 'bool') {
    if (spec.required) {
      return { error: t('common.required') };
    }
    return { value: spec.nullable ? null : undefined };
  }
  switch (spec.kind) {
    case 'bool':
      return { value: text === 'true' };
    case 'int':
      return /^[-+]?\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed))
        ? { value: Number(trimmed) }
        : { error: t('dash.form.not_integer') };
    case 'money': {
      const minor = parseMoney(trimmed, currency);
      return minor === null ? { error: t('dash.form.not_amount', { currency }) } : { value: minor };
    }
    case 'percent': {
      const m = /^(\d+)(?:[.,](\d{1,2}))?$/.exec(trimmed);
      return m === null
        ? { error: t('dash.form.not_percent') }
        : { value: Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) };
    }
    case 'list':
      return { value: trimmed.split(',').map((s) => s.trim()).filter(Boolean) };
    case 'lines':
      return { value: text.split('\n').map((s) => s.trim()).filter(Boolean) };
    case 'json':
      try {
        return { value: JSON.parse(trimmed) as unknown };
      } catch {
        return { error: t('dash.form.not_json') };
      }
    case 'datetime': {
      const iso = fromLocalInput(trimmed);
      return iso === null ? { error: t('dash.form.not_date') } : { value: iso };
    }
    default:
      return { value: spec.kind === 'password' ? text : trimmed };
  }
}

export function fromValues(
  specs: Spec[],
  values: Record<string, string>,
  currency: string,
): { obj: Record<string, unknown>; errors: Record<string, string> } {
  const obj: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const spec of specs) {
    if (spec.readOnly) {
      continue;
    }
    const { value, error } = parseValue(spec, values[spec.path] ?? '', currency);
    if (error !== undefined) {
      errors[spec.path] = error;
    } else if (value !== undefined) {
      setPath(obj, spec.path, value);
    }
  }
  return { obj, errors };
}

// The top-level fields of next whose value differs from before (a merge patch of whole fields).
export function changedFields(before: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next)) {
    if (JSON.stringify(value) !== JSON.stringify(before[key] ?? null)) {
      patch[key] = value;
    }
  }
  return patch;
}

