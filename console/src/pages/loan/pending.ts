/**
 * The actions this page sent and the indexer has not shown yet. An action leaves the list when its
 * event arrives (stream or timeline), also when the event came before the send returned; a relayed
 * one also when the relay reports it reverted or dropped (then with an error to show).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "../../api/client";

export interface Pending {
  tx: string;
  relayed: boolean;
}

export function usePendingActions() {
  const [pending, setPending] = useState<Pending[]>([]);
  const [failed, setFailed] = useState<{ tx: string; status: string } | null>(null);
  const seen = useRef(new Set<string>());
  const indexed = useCallback((txs: string[]) => {
    for (const tx of txs) seen.current.add(tx.toLowerCase());
    setPending((p) => p.filter((a) => !seen.current.has(a.tx.toLowerCase())));
  }, []);
  const sent = useCallback((tx: string, relayed: boolean) => {
    if (!seen.current.has(tx.toLowerCase())) setPending((p) => [...p, { tx, relayed }]);
  }, []);
  // A relayed action that will never be indexed: ask the relay while it is pending.
  useEffect(() => {
    const relayed = pending.filter((a) => a.relayed);
    if (relayed.length === 0) return;
    const timer = setInterval(async () => {
      for (const a of relayed) {
        const { data } = await api.GET("/v1/relays/{txHash}", { params: { path: { txHash: a.tx } } });
        if (data && (data.status === "reverted" || data.status === "dropped")) {
          setPending((p) => p.filter((x) => x.tx !== a.tx));
          setFailed({ tx: a.tx, status: data.status });
        }
      }
    }, 3_000);
    return () => clearInterval(timer);
  }, [pending]);
  return { pending, failed, indexed, sent };
}
