// SPDX-License-Identifier: MIT
// API keys (admin): the program's keys (never their secrets), a key created — its secret shown
// this once — and a key revoked; and the web shop's member signing secret (POST
// /v1/embed/signing-secret, docs/web.md): drawn anew after a question, shown this once.
import { useState } from 'preact/hooks';
import { api, newIdempotencyKey } from '../lib/api';
import { errorText } from '../lib/app';
import { Alert, Button, Card, Table } from '../lib/components';
import { formatDateTime } from '../lib/format';
import { t } from '../lib/i18n';
import { useDash } from './ctx';
import { ConfirmButton, LoadError, PageHeader, Pager, SpecFields, tk, usePaged, useSpecForm } from './ui';
import type { Spec } from './ui';

interface ApiKey {
  id: string;
  name: string;
  role: string;
  prefix: string;
  created_at: string;
  allowed_origins?: string[];
}

interface Created extends ApiKey {
  api_key: string | null;
}

interface SigningSecret {
  secret: string;
  created_at: string;
}

const ROLES = ['admin', 'staff', 'viewer', 'publishable'];

function Secret({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="dash-secret">
      <p class="dash-secret-label">{label}</p>
      <code class="dash-mono" data-secret>
        {value}
      </code>
      <Button
        variant="secondary"
        onClick={() => {
          void navigator.clipboard?.writeText(value).then(() => setCopied(true), () => setCopied(false));
        }}
      >
        {copied ? t('dash.keys.copied') : t('dash.keys.copy')}
      </Button>
    </div>
  );
}

function NewKey({ onCreated }: { onCreated: (k: Created) => void }) {
  const { program } = useDash();
  const [role, setRole] = useState('staff');
  const list: Spec[] = [
    { path: 'name', label: t('dash.keys.name'), kind: 'text', required: true, hint: t('dash.keys.name_hint') },
    { path: 'role', label: t('dash.keys.role'), kind: 'select', options: ROLES.map((r) => ({ value: r, label: tk(`dash.keys.role_${r}`) })) },
  ];
  if (role === 'publishable') {
    list.push({ path: 'allowed_origins', label: t('dash.keys.origins'), kind: 'lines', required: true, hint: t('dash.keys.origins_hint') });
  }
  const form = useSpecForm(list, { role: 'staff' }, program.currency);
  const [key, setKey] = useState(newIdempotencyKey);
  if ((form.values.role ?? role) !== role) {
    setRole(form.values.role ?? role);
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    await form.submit(async (obj) => {
      const created = await api.post<Created>('/v1/api-keys', obj, { idempotencyKey: key });
      setKey(newIdempotencyKey());
      form.reset({ role });
      onCreated(created);
    });
  };
  return (
    <Card title={t('dash.keys.new')}>
      <form onSubmit={submit} noValidate class="dash-form">
        {form.formError && <Alert>{form.formError}</Alert>}
        <SpecFields specs={list} form={form} currency={program.currency} />
        <Button type="submit" busy={form.busy}>
          {t('dash.keys.create')}
        </Button>
      </form>
    </Card>
  );
}

// The secret a shop's server signs its signed-in customer's member id with, so that /embed.js
// shows that member's points. Drawing a new one ends every token signed with the old one.
function MemberSigning() {
  const [drawn, setDrawn] = useState<SigningSecret>();
  const [error, setError] = useState<string>();
  const draw = async () => {
    setError(undefined);
    try {
      setDrawn(await api.post<SigningSecret>('/v1/embed/signing-secret', {}));
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Card title={t('dash.keys.signing_secret')}>
      <p>{t('dash.keys.signing_hint')}</p>
      {error && <Alert>{error}</Alert>}
      {drawn ? (
        <>
          <p class="dash-warning" role="alert">
            {t('dash.keys.once')}
          </p>
          <Secret label={t('dash.keys.signing_secret')} value={drawn.secret} />
          <Button variant="secondary" onClick={() => setDrawn(undefined)}>
            {t('dash.keys.done')}
          </Button>
        </>
      ) : (
        <ConfirmButton
          variant="secondary"
          label={t('dash.keys.signing_draw')}
          question={t('dash.keys.signing_confirm')}
          onConfirm={draw}
        />
      )}
    </Card>
  );
}

export function ApiKeys() {
  const { program } = useDash();
  const paged = usePaged<ApiKey>('/v1/api-keys', {});
  const [created, setCreated] = useState<Created>();
  const [error, setError] = useState<string>();
  const revoke = async (k: ApiKey) => {
    setError(undefined);
    try {
      await api.delete<void>(`/v1/api-keys/${k.id}`);
      paged.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <>
      <PageHeader title={t('dash.keys.title')} />
      {created && (
        <Card title={t('dash.keys.created', { name: created.name })}>
          <p class="dash-warning" role="alert">
            {t('dash.keys.once')}
          </p>
          {created.api_key && <Secret label={t('dash.keys.secret')} value={created.api_key} />}
          <Button variant="secondary" onClick={() => setCreated(undefined)}>
            {t('dash.keys.done')}
          </Button>
        </Card>
      )}
      <NewKey
        onCreated={(k) => {
          setCreated(k);
          paged.reload();
        }}
      />
      <Card>
        {error && <Alert>{error}</Alert>}
        {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
        <Table
          caption={t('dash.keys.list')}
          rows={paged.rows}
          rowKey={(k) => k.id}
          empty={paged.loading ? t('common.loading') : t('common.empty')}
          columns={[
            { key: 'name', header: t('dash.keys.name'), cell: (k) => k.name },
            { key: 'role', header: t('dash.keys.role'), cell: (k) => tk(`dash.keys.role_${k.role}`) },
            { key: 'prefix', header: t('dash.keys.prefix'), cell: (k) => <code>{k.prefix}…</code> },
            { key: 'origins', header: t('dash.keys.origins'), cell: (k) => (k.allowed_origins ?? []).join(', ') || '—' },
            { key: 'created', header: t('dash.created_at'), cell: (k) => formatDateTime(k.created_at, program.time_zone) },
            {
              key: 'revoke',
              header: t('dash.actions'),
              cell: (k) => (
                <ConfirmButton
                  label={t('dash.keys.revoke')}
                  question={t('dash.keys.revoke_confirm', { name: k.name })}
                  onConfirm={() => revoke(k)}
                />
              ),
            },
          ]}
        />
        <Pager paged={paged} label={t('dash.keys.pages')} />
      </Card>
      <MemberSigning />
    </>
  );
}
