// SPDX-License-Identifier: MIT
// What every portal screen shares: the member's session, the program's public face, a hook that
// loads a resource (with its error, a reload, and the end of the session on a 401), and the
// sentence a failed request shows.
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../lib/api';
import { errorText } from '../lib/app';
import { t } from '../lib/i18n';
import type { MessageKey } from '../lib/i18n';
import { programId } from '../lib/session';
import type { MemberSession, Page, PublicProgram } from './api';
import { portalApi } from './api';

export interface PortalState {
  session: MemberSession | null;
  program: PublicProgram | null; // null until loaded (or when it could not be)
  programError: unknown;
  setSession: (session: MemberSession | null) => void;
}

export const PortalContext = createContext<PortalState>({
  session: null,
  program: null,
  programError: null,
  setSession: () => undefined,
});

export function usePortal(): PortalState {
  return useContext(PortalContext);
}

// The signed-in member's session; screens behind the sign-in gate only.
export function useMember(): MemberSession {
  const { session } = usePortal();
  if (session === null) {
    throw new Error('a member screen was shown without a session');
  }
  return session;
}

// The program's public face, loaded once per program (the session's, else ?program=, else the
// server's default).
const programs = new Map<string, Promise<PublicProgram>>();

export function loadProgram(id: string | undefined): Promise<PublicProgram> {
  const key = id ?? '';
  let promise = programs.get(key);
  if (promise === undefined) {
    promise = portalApi.program(id);
    promise.catch(() => programs.delete(key)); // a failed load is tried again next time
    programs.set(key, promise);
  }
  return promise;
}

export function useProgram(session: MemberSession | null): [PublicProgram | null, unknown] {
  const id = session?.program_id ?? programId();
  const [program, setProgram] = useState<PublicProgram | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    loadProgram(id).then(
      (p) => live && setProgram(p),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [id]);
  return [program, error];
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  set: (data: T) => void;
}

// Loads with load() when the screen opens (and when deps change). A 401 means the session ended
// (signed out elsewhere, expired): the portal goes back to its sign-in screen.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const { setSession } = usePortal();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [round, setRound] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    setLoading(true);
    loadRef.current().then(
      (value) => {
        if (live) {
          setData(value);
          setError(null);
          setLoading(false);
        }
      },
      (e: unknown) => {
        if (!live) {
          return;
        }
        if (e instanceof ApiError && e.status === 401) {
          setSession(null);
        }
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data, error, loading, reload, set: setData };
}

// What the member reads when a request failed: the portal's own sentence for the errors a
// member can meet, else the shared one.
const KNOWN: Record<string, MessageKey> = {
  not_found: 'portal.error.not_found',
  insufficient_points: 'portal.error.insufficient_points',
  out_of_stock: 'portal.error.out_of_stock',
  member_limit_reached: 'portal.error.member_limit_reached',
  not_eligible: 'portal.error.not_eligible',
  reward_inactive: 'portal.error.reward_inactive',
  not_for_sale: 'portal.error.reward_inactive',
  member_inactive: 'portal.error.member_inactive',
  forbidden: 'portal.error.forbidden',
  csrf_failed: 'portal.error.session_ended',
  unauthorized: 'portal.error.session_ended',
  rate_limited: 'signin.locked',
  invalid_token: 'portal.error.reset_token',
  token_expired: 'portal.error.reset_token',
  unavailable: 'portal.error.unavailable',
};

export function portalError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'validation_failed') {
      return t('portal.error.invalid', { message: e.message });
    }
    const key = KNOWN[e.code];
    if (key !== undefined) {
      return t(key);
    }
    if (e.status === 404) {
      return t('portal.error.not_found');
    }
    if (e.status === 401) {
      return t('portal.error.session_ended');
    }
  }
  return errorText(e);
}

export interface Paged<T> {
  items: T[];
  error: unknown; // of the first page: the screen's error
  moreError: unknown; // of a later page: said beside the button
  loading: boolean;
  busy: boolean;
  more: (() => void) | null; // null when there is no next page
  reload: () => void;
}

// A list read page by page (API.md, "Pagination": data and next_cursor); "more" appends.
export function usePaged<T>(load: (cursor?: string) => Promise<Page<T>>, deps: unknown[]): Paged<T> {
  const first = useLoad(() => load(), deps);
  const [later, setLater] = useState<Page<T>[]>([]);
  const [busy, setBusy] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  useEffect(() => setLater([]), [first.data]);
  const pages = first.data ? [first.data, ...later] : [];
  const cursor = pages.length > 0 ? pages[pages.length - 1].next_cursor : null;
  const more = async () => {
    if (cursor === null) {
      return;
    }
    setBusy(true);
    try {
      const page = await load(cursor);
      setLater((l) => [...l, page]);
      setMoreError(null);
    } catch (e) {
      setMoreError(e);
    }
    setBusy(false);
  };
  return {
    items: pages.flatMap((p) => p.data),
    error: first.error,
    moreError,
    loading: first.loading,
    busy,
    more: cursor === null ? null : () => void more(),
    reload: first.reload,
  };
}
