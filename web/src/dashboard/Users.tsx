// SPDX-License-Identifier: MIT
// Users (admin; /work contract: GET/POST/PATCH /v1/users): the program's staff, viewers and
// admins, a user created with a first password, and a user changed — name, role, status
// (disabled users cannot sign in) or a new password. The server ends a user's sessions when
// its role, status or password changes, and keeps the last active admin (409).
import { useState } from 'preact/hooks';
import { ApiError, api, newIdempotencyKey } from '../lib/api';
import { Alert, Button, Card, Table } from '../lib/components';
import { formatDateTime } from '../lib/format';
import { t } from '../lib/i18n';
import { useDash } from './ctx';
import { Badge, LoadError, PageHeader, Pager, Saved, SpecFields, changedFields, tk, usePaged, useSpecForm } from './ui';
import type { Spec } from './ui';

interface User {
  id: string;
  email: string;
  name: string;
  role: string;
  status: string;
  created_at: string;
  last_sign_in_at: string | null;
  locked_until: string | null;
}

const ROLES = ['admin', 'staff', 'viewer'];

function roleOptions() {
  return ROLES.map((r) => ({ value: r, label: tk(`role.${r}`) }));
}

function NewUser({ onCreated }: { onCreated: (u: User) => void }) {
  const { program } = useDash();
  const list: Spec[] = [
    { path: 'email', label: t('dash.users.email'), kind: 'email', required: true },
    { path: 'name', label: t('dash.users.name'), kind: 'text', required: true },
    { path: 'role', label: t('dash.users.role'), kind: 'select', options: roleOptions() },
    { path: 'password', label: t('dash.users.password'), kind: 'password', required: true, hint: t('dash.users.password_hint') },
  ];
  const form = useSpecForm(list, { role: 'staff' }, program.currency);
  const [key, setKey] = useState(newIdempotencyKey);
  const [done, setDone] = useState<string>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setDone(undefined);
    await form.submit(async (obj) => {
      const user = await api.post<User>('/v1/users', obj, { idempotencyKey: key });
      setKey(newIdempotencyKey());
      form.reset({ role: 'staff' });
      setDone(t('dash.users.created', { name: user.name }));
      onCreated(user);
    });
  };
  return (
    <Card title={t('dash.users.new')}>
      <form onSubmit={submit} noValidate class="dash-form">
        {form.formError && <Alert>{form.formError}</Alert>}
        <SpecFields specs={list} form={form} currency={program.currency} />
        {done && <Saved>{done}</Saved>}
        <Button type="submit" busy={form.busy}>
          {t('dash.users.create')}
        </Button>
      </form>
    </Card>
  );
}

function EditUser({ user, onDone }: { user: User; onDone: () => void }) {
  const { program } = useDash();
  const list: Spec[] = [
    { path: 'name', label: t('dash.users.name'), kind: 'text', required: true },
    { path: 'role', label: t('dash.users.role'), kind: 'select', options: roleOptions() },
    {
      path: 'status',
      label: t('dash.status'),
      kind: 'select',
      options: ['active', 'disabled'].map((s) => ({ value: s, label: tk(`dash.status.${s}`) })),
    },
    { path: 'password', label: t('dash.users.new_password'), kind: 'password', hint: t('dash.users.new_password_hint') },
  ];
  const form = useSpecForm(list, user, program.currency);
  const submit = async (event: Event) => {
    event.preventDefault();
    await form.submit(async (obj) => {
      const patch = changedFields(user as unknown as Record<string, unknown>, obj);
      if (Object.keys(patch).length > 0) {
        try {
          await api.patch<User>(`/v1/users/${user.id}`, patch);
        } catch (e) {
          // The program keeps one active admin: said at the role (or status) that would end it.
          if (e instanceof ApiError && e.code === 'last_admin') {
            throw new ApiError(e.status, e.code, t('dash.users.last_admin'), 'role' in patch ? 'role' : 'status');
          }
          throw e;
        }
      }
      onDone();
    });
  };
  return (
    <Card title={t('dash.users.edit', { name: user.name })}>
      <form onSubmit={submit} noValidate class="dash-form">
        {form.formError && <Alert>{form.formError}</Alert>}
        <SpecFields specs={list} form={form} currency={program.currency} />
        <div class="dash-actions">
          <Button type="submit" busy={form.busy}>
            {t('dash.users.save')}
          </Button>
          <Button variant="secondary" onClick={onDone}>
            {t('dash.cancel')}
          </Button>
        </div>
      </form>
    </Card>
  );
}

export function Users() {
  const { program, session } = useDash();
  const paged = usePaged<User>('/v1/users', {});
  const [editing, setEditing] = useState<User>();
  const [saved, setSaved] = useState(false);
  const tz = program.time_zone;
  return (
    <>
      <PageHeader title={t('dash.users.title')} />
      {editing ? (
        <EditUser
          key={editing.id}
          user={editing}
          onDone={() => {
            setEditing(undefined);
            setSaved(true);
            paged.reload();
          }}
        />
      ) : (
        <NewUser onCreated={() => paged.reload()} />
      )}
      <Card>
        {saved && !editing && <Saved>{t('dash.saved')}</Saved>}
        {paged.error !== undefined && <LoadError error={paged.error} retry={paged.reload} />}
        <Table
          caption={t('dash.users.list')}
          rows={paged.rows}
          rowKey={(u) => u.id}
          empty={paged.loading ? t('common.loading') : t('common.empty')}
          columns={[
            { key: 'name', header: t('dash.users.name'), cell: (u) => u.name + (u.id === session.user.id ? ` (${t('dash.users.you')})` : '') },
            { key: 'email', header: t('dash.users.email'), cell: (u) => u.email },
            { key: 'role', header: t('dash.users.role'), cell: (u) => tk(`role.${u.role}`) },
            {
              key: 'status',
              header: t('dash.status'),
              cell: (u) => (
                <>
                  <Badge status={u.status} />
                  {u.locked_until && new Date(u.locked_until) > new Date() && (
                    <span class="dash-note"> {t('dash.users.locked', { until: formatDateTime(u.locked_until, tz) })}</span>
                  )}
                </>
              ),
            },
            { key: 'last', header: t('dash.users.last_sign_in'), cell: (u) => (u.last_sign_in_at ? formatDateTime(u.last_sign_in_at, tz) : t('dash.users.never')) },
            {
              key: 'edit',
              header: t('dash.actions'),
              cell: (u) => (
                <Button
                  variant="secondary"
                  aria-label={t('dash.users.edit', { name: u.name })}
                  onClick={() => {
                    setSaved(false);
                    setEditing(u);
                  }}
                >
                  {t('dash.users.edit_short')}
                </Button>
              ),
            },
          ]}
        />
        <Pager paged={paged} label={t('dash.users.pages')} />
      </Card>
    </>
  );
}
