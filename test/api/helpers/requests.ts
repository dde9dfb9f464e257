/** One HTTP exchange with the app, as the authz, fuzz and schema tests observe it. */
import type { ApiFixture, Role } from "../fixture";

export type Caller = Role | "anonymous";

/** The matrix's callers: the two lenders and collectors of the fixture, the auditor, and no token. */
export const CALLERS = ["lender", "otherLender", "collector", "otherCollector", "auditor", "anonymous"] as const satisfies readonly Caller[];
export type MatrixCaller = (typeof CALLERS)[number];

export interface Observed {
  status: number;
  contentType: string | null;
  /** Parsed JSON, the text of anything else, undefined for an event stream (closed after the headers). */
  body: unknown;
}

export interface RequestOptions {
  body?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export async function send(f: ApiFixture, caller: Caller, method: string, path: string, opts: RequestOptions = {}): Promise<Observed> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs ?? 15_000);
  try {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (caller !== "anonymous") headers.authorization = `Bearer ${f.tokens[caller]}`;
    if (opts.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
    const res = await fetch(`${f.url}${path}`, { method, headers, body: opts.body, signal: abort.signal });
    const contentType = res.headers.get("content-type");
    if (contentType?.startsWith("text/event-stream")) {
      abort.abort();
      return { status: res.status, contentType, body: undefined };
    }
    const text = await res.text();
    let body: unknown = text;
    if (contentType && /json/.test(contentType)) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: res.status, contentType, body };
  } finally {
    clearTimeout(timer);
  }
}

/** Whether an error answer is RFC 9457 problem+json with a matching status. */
export function isProblem(o: Observed): boolean {
  if (!o.contentType?.startsWith("application/problem+json")) return false;
  const b = o.body as { type?: unknown; title?: unknown; status?: unknown; detail?: unknown } | undefined;
  return !!b && typeof b === "object" && typeof b.title === "string" && typeof b.type === "string" && b.status === o.status && typeof b.detail === "string";
}
