/** The auditor's own RPC URL: kept in sessionStorage (this tab only), never sent to the API. */
import { useCallback, useState } from "react";

const KEY = "duetrail.rpcUrl";

/** An http(s) URL, or null. */
export function parseRpcUrl(raw: string): string | null {
  try {
    const u = new URL(raw.trim());
    return u.protocol === "http:" || u.protocol === "https:" ? u.toString().replace(/\/$/, "") : null;
  } catch {
    return null;
  }
}

export function useRpcUrl(): [string | null, (url: string | null) => void] {
  const [url, setUrl] = useState<string | null>(() => sessionStorage.getItem(KEY));
  const set = useCallback((next: string | null) => {
    if (next) sessionStorage.setItem(KEY, next);
    else sessionStorage.removeItem(KEY);
    setUrl(next);
  }, []);
  return [url, set];
}
