/*
 * The page's calls to the daemon: the Engine API under /api and the
 * dashboard's own endpoints, all on the page's origin (the token travels as
 * an HttpOnly cookie).
 */

/** A refused or failed request, with the daemon's message. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** What a failed fetch means for the user: the daemon's message, or that it cannot be reached. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof TypeError) return 'the daemon cannot be reached (stopped or restarting?)';
  return err instanceof Error ? err.message : String(err);
}

/** Calls `method path` of the Engine API (`path` without /api) and returns its JSON (undefined for an empty body). */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return readJson<T>(res);
}

/** The JSON of a response, or ApiError with the daemon's `message`. */
export async function readJson<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const m = (JSON.parse(text) as { message?: unknown }).message;
      if (typeof m === 'string' && m) message = m;
    } catch {
      /* not JSON: the status says it */
    }
    throw new ApiError(res.status, message);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Whether this page may use the daemon: 'ok', 'unauthorized' (no or wrong token) or 'unreachable'. */
export async function checkSession(): Promise<{ state: 'ok' | 'unauthorized' | 'unreachable'; message: string }> {
  try {
    const res = await fetch('/dashboard/session', { credentials: 'same-origin' });
    if (res.ok) return { state: 'ok', message: '' };
    const { message } = (await res.json().catch(() => ({}))) as { message?: string };
    if (res.status === 401 || res.status === 403) return { state: 'unauthorized', message: message ?? `refused (${res.status})` };
    return { state: 'unreachable', message: message ?? `the daemon answered ${res.status}` };
  } catch {
    return { state: 'unreachable', message: 'the daemon cannot be reached' };
  }
}
