// The dashboard API as the UI uses it: same origin, the session cookie, JSON both ways.

export interface Alert {
  id: string;
  timestamp: string;
  rule: { id: string; level: number; description: string; groups: string[]; firedtimes: number };
  agent: { id: string; name: string; ip: string | null };
  decoder: { name: string | null };
  data: Record<string, string>;
  location: string;
  full_log: string;
}

export interface SearchPage {
  items: Alert[];
  total: number;
  next: string | null;
}

export interface Histogram {
  interval: string;
  intervalMs: number;
  buckets: { key: number; time: string; count: number }[];
  total: number;
}

export interface ApiFailure {
  status: number;
  error: string;
  position?: number;
}

export class ApiError extends Error {
  constructor(readonly failure: ApiFailure) {
    super(failure.error);
  }
}

/** Called when the session is gone (expired, logged out elsewhere): the app shows the login page. */
let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export async function api<T>(path: string, init: { method?: string; params?: Record<string, string | number | undefined>; body?: unknown } = {}): Promise<T> {
  const url = new URL(path, window.location.origin);
  for (const [k, v] of Object.entries(init.params ?? {})) if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method: init.method ?? "GET",
    credentials: "same-origin",
    headers: init.body !== undefined ? { "content-type": "application/json" } : {},
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  const body = text ? (JSON.parse(text) as unknown) : {};
  if (!res.ok) {
    if (res.status === 401 && path !== "/api/login") onUnauthorized();
    const failure = body as { error?: string; position?: number };
    throw new ApiError({ status: res.status, error: failure.error ?? res.statusText, position: failure.position });
  }
  return body as T;
}

/** "3 min ago", "in 42 s": how analysts read times next to each other. */
export function relative(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const text = s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min` : s < 86400 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 86400)} d`;
  return ms < 0 ? `${text} ago` : `in ${text}`;
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
