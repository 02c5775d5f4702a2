// SPDX-License-Identifier: MIT
// The one door to the JSON API (docs/openapi.yaml). Requests go to the same origin with the
// session cookie; a request that changes something carries the session's CSRF token
// (X-CSRF-Token), as the server demands of cookie sessions. An answer that is not 2xx becomes
// an ApiError with the API's error object (API.md: code, message, field).

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// Set by session.ts when a session begins or is read; cleared when it ends.
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

function withQuery(path: string, query?: Query): string {
  if (query === undefined) {
    return path;
  }
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) {
      params.set(name, String(value));
    }
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = 'http_' + response.status;
  let message = response.statusText || 'request failed';
  let field: string | undefined;
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; field?: string };
    };
    if (body.error !== undefined) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
      field = body.error.field;
    }
  } catch {
    // Not JSON (a proxy's page): the status speaks for it.
  }
  return new ApiError(response.status, code, message, field);
}

// Sends method path (path starts with /v1/) and returns the decoded answer (undefined for 204).
// Throws ApiError for a non-2xx answer, and ApiError with code "network" when the server could
// not be reached.
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken !== null) {
    headers['X-CSRF-Token'] = csrfToken;
  }
  if (options.idempotencyKey !== undefined) {
    headers['Idempotency-Key'] = options.idempotencyKey;
  }
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') {
      throw e;
    }
    throw new ApiError(0, 'network', 'the server could not be reached');
  }
  if (!response.ok) {
    throw await errorOf(response);
  }
  if (response.status === 204) {
    return undefined as T;
  }
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', path, { query }),
  post: <T>(path: string, body?: unknown, options: RequestOptions = {}) =>
    request<T>('POST', path, { ...options, body }),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, { body }),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

// A fresh Idempotency-Key for a write the user may retry (API.md, "Idempotency").
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
