// SPDX-License-Identifier: MIT
// Who is signed in (docs: issue 19 contract, "Staff and admin users" and "Members"). The
// session itself is an HttpOnly cookie the page never sees; what the page keeps is the body of
// the sign-in answer (the user or member, the program, the CSRF token) and, in localStorage,
// only a hint that a session may exist, so that a first visit does not ask the server for a
// session it cannot have (an answer 401 the browser would log as an error).
import { ApiError, api, setCsrfToken } from './api';

export type Role = 'admin' | 'staff' | 'viewer';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  status: 'active' | 'disabled';
  last_sign_in_at: string | null;
}

export interface Member {
  id: string;
  email?: string | null;
  phone?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  card_number?: string;
  locale?: string | null;
}

interface SessionCommon {
  program_id: string;
  csrf_token: string;
  expires_at: string;
}

export type Session =
  | (SessionCommon & { kind: 'user'; user: User })
  | (SessionCommon & { kind: 'member'; member: Member });

const HINT_KEY = 'patron.session';
const PROGRAM_KEY = 'patron.program';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

// The program the page serves: ?program=prg_… in the URL (remembered), else the one remembered,
// else none (the server's default program).
export function programId(): string | undefined {
  const fromUrl = new URLSearchParams(location.search).get('program');
  if (fromUrl !== null && /^prg_[A-Za-z0-9]+$/.test(fromUrl)) {
    storage()?.setItem(PROGRAM_KEY, fromUrl);
    return fromUrl;
  }
  return storage()?.getItem(PROGRAM_KEY) ?? undefined;
}

function begin(session: Session): Session {
  setCsrfToken(session.csrf_token);
  storage()?.setItem(HINT_KEY, session.kind);
  return session;
}

// A session the server began through another route (the portal's sign-up answers with a
// member session, as a sign-in does): kept the same way.
export function adoptSession(session: Session): Session {
  return begin(session);
}

function forget(): void {
  setCsrfToken(null);
  storage()?.removeItem(HINT_KEY);
}

// The current session, or null when there is none (or it ended).
export async function currentSession(): Promise<Session | null> {
  if (storage()?.getItem(HINT_KEY) === null) {
    return null;
  }
  try {
    return begin(await api.get<Session>('/v1/sessions/current'));
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 404)) {
      forget();
      return null;
    }
    throw e;
  }
}

// Staff and admin sign-in (dashboard, till).
export async function signInUser(email: string, password: string): Promise<Session> {
  return begin(
    await api.post<Session>('/v1/sessions', { email, password, program_id: programId() }),
  );
}

// Member sign-in (portal); login is an email or a phone number.
export async function signInMember(login: string, password: string): Promise<Session> {
  return begin(
    await api.post<Session>('/v1/portal/sessions', { login, password, program_id: programId() }),
  );
}

export async function signOut(): Promise<void> {
  try {
    await api.delete<void>('/v1/sessions/current');
  } finally {
    forget();
  }
}
