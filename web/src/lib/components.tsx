// SPDX-License-Identifier: MIT
// The small shared components every face is built of: the app shell (header with the language
// switcher, main landmark, skip link), a form field with its label and error, a button, a card
// and a table. They hold no data of their own; styles are in styles.css (classes pt-*).
import type { ButtonHTMLAttributes, ComponentChildren, TargetedEvent } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import { LOCALES, LOCALE_NAMES, isLocale, locale, onLocaleChange, setLocale, t } from './i18n';
import type { Locale } from './i18n';

// Re-renders the caller when the language changes; returns the current one.
export function useLocale(): Locale {
  const [current, setCurrent] = useState<Locale>(locale());
  useEffect(() => onLocaleChange(setCurrent), []);
  return current;
}

export function LanguageSwitcher() {
  const current = useLocale();
  const id = useId();
  const change = (event: TargetedEvent<HTMLSelectElement>) => {
    const value = event.currentTarget.value;
    if (isLocale(value)) {
      void setLocale(value, true);
    }
  };
  return (
    <div class="pt-lang">
      <label for={id}>{t('common.language')}</label>
      <select id={id} value={current} onChange={change}>
        {LOCALES.map((code) => (
          <option key={code} value={code} lang={code}>
            {LOCALE_NAMES[code]}
          </option>
        ))}
      </select>
    </div>
  );
}

interface AppShellProps {
  face: string; // "Dashboard", "Till", "Member portal": already translated
  children: ComponentChildren;
  actions?: ComponentChildren; // right side of the header (sign-out, the user's name)
  nav?: ComponentChildren;
  narrow?: boolean; // a single column of at most ~28rem (sign-in, the portal)
}

export function AppShell({ face, children, actions, nav, narrow }: AppShellProps) {
  useLocale();
  return (
    <div class="pt-shell">
      <a class="pt-skip" href="#main">
        {t('common.skip_to_content')}
      </a>
      <header class="pt-header">
        <div class="pt-brand">
          <span class="pt-logo" aria-hidden="true">
            P
          </span>
          <span>
            Patron <span class="pt-face">{face}</span>
          </span>
        </div>
        <div class="pt-header-end">
          {actions}
          <LanguageSwitcher />
        </div>
      </header>
      {nav !== undefined && <nav class="pt-nav">{nav}</nav>}
      <main id="main" tabIndex={-1} class={narrow ? 'pt-main pt-narrow' : 'pt-main'}>
        {children}
      </main>
    </div>
  );
}

interface FieldProps {
  label: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
  hint?: string | undefined;
  type?: 'text' | 'email' | 'password' | 'tel' | 'number' | 'search' | 'date' | 'url';
  name?: string;
  autocomplete?: string;
  inputMode?: 'text' | 'email' | 'tel' | 'numeric' | 'decimal' | 'search' | 'url';
  required?: boolean;
  disabled?: boolean;
  placeholder?: string;
  maxLength?: number;
  autoFocus?: boolean;
}

// A labelled input; its error (from the API's field, or the form's own check) is tied to it
// with aria-describedby and aria-invalid so a screen reader says it.
export function Field({ label, value, onValue, error, hint, type = 'text', ...input }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={error ? 'pt-field pt-field-invalid' : 'pt-field'}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="pt-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <input
        {...input}
        /* Preact's types tie each input type to its own attributes; the union of ours holds none
           of the types those are for, so one member stands for all. */
        type={type as 'text'}
        id={id}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described || undefined}
      />
      {error && (
        <p class="pt-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

interface ButtonProps extends Omit<ButtonHTMLAttributes, 'type'> {
  variant?: 'primary' | 'secondary' | 'danger';
  busy?: boolean;
  type?: 'button' | 'submit';
}

export function Button({ variant = 'primary', busy, type = 'button', children, ...rest }: ButtonProps) {
  return (
    <button
      {...rest}
      type={type}
      class={`pt-button pt-button-${variant}`}
      disabled={busy || rest.disabled}
      aria-busy={busy ? 'true' : undefined}
    >
      {children}
    </button>
  );
}

export function Card({ title, children }: { title?: string; children: ComponentChildren }) {
  return (
    <section class="pt-card">
      {title !== undefined && <h2>{title}</h2>}
      {children}
    </section>
  );
}

// An error for the whole form or screen (role=alert: read out when it appears).
export function Alert({ children }: { children: ComponentChildren }) {
  return (
    <div class="pt-alert" role="alert">
      {children}
    </div>
  );
}

export interface Column<Row> {
  key: string;
  header: string;
  cell: (row: Row) => ComponentChildren;
  numeric?: boolean;
}

// A data table with a caption; on a phone it scrolls sideways inside its card.
export function Table<Row>({
  caption,
  columns,
  rows,
  rowKey,
  empty,
}: {
  caption: string;
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row) => string;
  empty?: string;
}) {
  return (
    <div class="pt-table-wrap">
      <table class="pt-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" class={c.numeric ? 'pt-num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={columns.length}>{empty ?? t('common.empty')}</td>
            </tr>
          )}
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.key} class={c.numeric ? 'pt-num' : undefined}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// A picture the API draws (a member's card or a coupon as a QR code or a barcode:
// /v1/members/{id}/card/qr.svg, /v1/coupons/{code}/barcode.svg); the session cookie goes with it.
export function CodeImage({ src, alt, size = 'medium' }: { src: string; alt: string; size?: 'medium' | 'large' }) {
  return <img class={`pt-code pt-code-${size}`} src={src} alt={alt} decoding="async" />;
}
