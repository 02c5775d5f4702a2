// SPDX-License-Identifier: MIT
// Find a member: one field takes a card number, a phone number, an email, a name, or what the
// camera or a USB scanner reads off the member's card (its QR code or barcode hold the card
// number). A coupon code or a receipt's purchase id typed here goes to its own screen.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api';
import { Alert, Button, Card } from '../lib/components';
import { t } from '../lib/i18n';
import type { Code } from './codes';
import { classify, formatCardNumber } from './codes';
import { refusal } from './program';
import { ScanButton } from './Scanner';
import type { TillState } from './Till';
import { go, route } from './Till';
import type { Member, Page } from './types';
import { memberName } from './MemberPanel';

type Outcome =
  | { kind: 'idle' }
  | { kind: 'busy' }
  | { kind: 'found'; members: Member[]; query: string }
  | { kind: 'failed'; text: string; detail?: string };

async function search(code: Code): Promise<Member[]> {
  switch (code.kind) {
    case 'card':
      return (await api.get<Page<Member>>('/v1/members', { card_number: code.value, limit: 5 })).data;
    case 'phone':
      return (await api.get<Page<Member>>('/v1/members', { phone: code.value, limit: 5 })).data;
    case 'email':
      return (await api.get<Page<Member>>('/v1/members', { email: code.value, limit: 5 })).data;
    case 'member':
      return [await api.get<Member>(`/v1/members/${encodeURIComponent(code.value)}`)];
    default:
      return (await api.get<Page<Member>>('/v1/members', { q: code.value.slice(0, 100), limit: 20 })).data;
  }
}

export function Find({ state }: { state: TillState }) {
  const [query, setQuery] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'idle' });
  const input = useRef<HTMLInputElement>(null);

  const choose = (member: Member) => {
    state.setMember(member);
    go('sale');
  };

  const run = async (text: string) => {
    const code = classify(text);
    if (code.kind === 'empty') {
      setError(t('till.find_required'));
      input.current?.focus();
      return;
    }
    if (code.kind === 'coupon' || code.kind === 'purchase') {
      route(code, state.setCode);
      return;
    }
    setError(undefined);
    setOutcome({ kind: 'busy' });
    try {
      const members = await search(code);
      // An exact key (card, phone, email, id) that finds one member opens it at once.
      if (members.length === 1 && code.kind !== 'name') {
        choose(members[0]!);
        return;
      }
      setOutcome({ kind: 'found', members, query: text.trim() });
    } catch (e) {
      const r = refusal(e);
      setOutcome({ kind: 'failed', text: r.text, detail: r.detail });
    }
  };

  // A code scanned on another screen (or by the USB scanner with no field focused) lands here.
  useEffect(() => {
    const code = state.code;
    if (code !== null && code.kind !== 'coupon' && code.kind !== 'purchase') {
      state.setCode(null);
      setQuery(code.value);
      void run(code.value);
    }
  }, [state.code]);

  useEffect(() => input.current?.focus(), []);

  const submit = (event: Event) => {
    event.preventDefault();
    void run(query);
  };

  return (
    <>
      <h1>{t('till.find_title')}</h1>
      {state.member !== null && (
        <p class="till-current">
          <Button variant="secondary" onClick={() => go('sale')}>
            {t('till.find_continue', { name: memberName(state.member) })}
          </Button>
        </p>
      )}
      <Card>
        <form onSubmit={submit} noValidate class="till-search">
          <div class={error ? 'pt-field pt-field-invalid' : 'pt-field'}>
            <label for="till-find">{t('till.find_label')}</label>
            <p class="pt-hint" id="till-find-hint">
              {t('till.find_hint')}
            </p>
            <div class="till-inline">
              <input
                ref={input}
                id="till-find"
                name="find"
                type="search"
                inputMode="search"
                autocomplete="off"
                enterKeyHint="search"
                value={query}
                onInput={(e) => setQuery(e.currentTarget.value)}
                aria-invalid={error ? 'true' : undefined}
                aria-describedby={error ? 'till-find-hint till-find-error' : 'till-find-hint'}
              />
              <Button type="submit" busy={outcome.kind === 'busy'}>
                {t('till.find_submit')}
              </Button>
            </div>
            {error && (
              <p class="pt-error" id="till-find-error">
                {error}
              </p>
            )}
          </div>
          <ScanButton
            title={t('till.scan_member_title')}
            onCode={(text) => {
              setQuery(text);
              void run(text);
            }}
          />
        </form>
      </Card>
      <div aria-live="polite">
        {outcome.kind === 'failed' && (
          <Alert>
            {outcome.text}
            {outcome.detail && <span class="till-detail">{outcome.detail}</span>}
          </Alert>
        )}
        {outcome.kind === 'found' && outcome.members.length === 0 && (
          <Card>
            <p>{t('till.find_none', { query: outcome.query })}</p>
            {!state.readOnly && (
              <Button variant="secondary" onClick={() => go('enroll')}>
                {t('till.enroll_action')}
              </Button>
            )}
          </Card>
        )}
        {outcome.kind === 'found' && outcome.members.length > 0 && (
          <Card title={t('till.find_results', { count: outcome.members.length })}>
            <ul class="till-results">
              {outcome.members.map((m) => (
                <li key={m.id}>
                  <button type="button" class="till-result" onClick={() => choose(m)}>
                    <span class="till-result-name">{memberName(m)}</span>
                    <span class="till-result-meta">
                      {formatCardNumber(m.card_number)}
                      {m.email ? ` · ${m.email}` : ''}
                      {m.phone ? ` · ${m.phone}` : ''}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          </Card>
        )}
      </div>
      {!state.readOnly && !(outcome.kind === 'found' && outcome.members.length === 0) && (
        <p>
          <Button variant="secondary" onClick={() => go('enroll')}>
            {t('till.enroll_action')}
          </Button>
        </p>
      )}
    </>
  );
}
