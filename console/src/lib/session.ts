/**
 * The signed-in session: the bearer token and who it names, in sessionStorage (gone with the tab;
 * never in a URL or in localStorage).
 */
const KEY = "duetrail.session";

export interface Session {
  token: string;
  /** The address the token names, and the role the console shows first. */
  address: string;
  role: "collector" | "lender" | "auditor";
}

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

export const currentToken = (): string | null => loadSession()?.token ?? null;
