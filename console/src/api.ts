// The Management API client: JSON in and out, the admin's bearer token,
// Logto's {code, message} errors.
import { accessToken, refresh, startSignIn } from './auth';
import { consolePath } from './router';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A human sentence for any error thrown by a request. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return 'The server could not be reached. Check your connection and try again.';
  if (err instanceof Error) return err.message;
  return String(err);
}

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function send(method: string, path: string, body?: unknown, retried = false): Promise<Response> {
  const token = await accessToken();
  if (!token) return startSignIn(consolePath());
  const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (res.status === 401) {
    if (!retried && (await refresh())) return send(method, path, body, true);
    return startSignIn(consolePath());
  }
  if (!res.ok) {
    let data: Record<string, unknown> = {};
    try {
      data = (await res.json()) as Record<string, unknown>;
    } catch {
      /* not JSON */
    }
    const message =
      (typeof data.message === 'string' && data.message) ||
      (typeof data.error_description === 'string' && data.error_description) ||
      `The server answered ${res.status} ${res.statusText}`.trim();
    throw new ApiError(res.status, typeof data.code === 'string' ? data.code : '', message, data);
  }
  return res;
}

async function json<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  async get<T>(path: string, query?: Query): Promise<T> {
    return json<T>(await send('GET', withQuery(path, query)));
  },
  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return json<T>(await send('POST', path, body));
  },
  async put<T>(path: string, body: unknown): Promise<T> {
    return json<T>(await send('PUT', path, body));
  },
  async patch<T>(path: string, body: unknown): Promise<T> {
    return json<T>(await send('PATCH', path, body));
  },
  async del(path: string): Promise<void> {
    await send('DELETE', path);
  },
  /** One page of a list, with the total row count. */
  async page<T>(path: string, page: number, pageSize: number, query?: Query): Promise<{ items: T[]; total: number }> {
    const res = await send('GET', withQuery(path, { ...query, page, page_size: pageSize }));
    const items = await json<T[]>(res);
    const total = Number(res.headers.get('Total-Number') ?? items.length);
    return { items, total: Number.isFinite(total) ? total : items.length };
  },
  /** Every row of a list (pages of 100, at most 5,000 rows). */
  async all<T>(path: string, query?: Query): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= 50; page++) {
      const { items, total } = await api.page<T>(path, page, 100, query);
      out.push(...items);
      if (items.length < 100 || out.length >= total) break;
    }
    return out;
  },
};

export const enc = encodeURIComponent;
