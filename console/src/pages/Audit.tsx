/**
 * The auditor's view of one loan's evidence: the trail verified in this browser (against the
 * chain through the auditor's own RPC URL when given), every action with its flags and evidence,
 * batch memberships, and the evidence bundle in the CLI's export format.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { Address } from "viem";
import { api, must } from "../api/client";
import { QueryState } from "../components";
import { formatChainTime } from "../lib/format";
import { useI18n } from "../lib/i18n";
import { navigate } from "../lib/router";
import { checkTrail } from "../lib/trail";
import { ActionsTable } from "./audit/ActionsTable";
import { Batches } from "./audit/Batches";
import { saveBlob } from "../lib/download";
import { asCliWrites } from "./audit/download";
import { useRpcUrl } from "./audit/rpc-url";
import { TrailPanel } from "./audit/TrailPanel";

export function Audit({ loanId }: { loanId: string }) {
  const { t, lang } = useI18n();
  const evidence = useQuery({ queryKey: ["evidence", loanId], queryFn: () => must(api.GET("/v1/loans/{loanId}/evidence", { params: { path: { loanId } } })) });
  const chain = useQuery({ queryKey: ["chain"], queryFn: () => must(api.GET("/v1/chain")), staleTime: Infinity });
  const [rpcUrl, setRpcUrl] = useRpcUrl();
  const e = evidence.data;
  const c = chain.data;
  // The events-only check marks the first altered row in the table (the panel adds the chain's view).
  const mismatchSeq = useMemo(() => {
    if (!e || !c) return null;
    const m = checkTrail({ chainId: c.chainId, collectionLog: c.contracts.CollectionLog.address as Address, loanId: e.loanId }, e.actions, null).mismatch;
    return m && "seq" in m ? m.seq : null;
  }, [e, c]);
  return (
    <main className="audit">
      <p>
        <a
          href={`/loans/${loanId}`}
          onClick={(ev) => {
            ev.preventDefault();
            navigate(`/loans/${loanId}`);
          }}
        >
          ← {t("audit.back", { id: loanId })}
        </a>
      </p>
      <h1>{t("audit.title", { id: loanId })}</h1>
      <QueryState
        loading={evidence.isPending || chain.isPending}
        error={evidence.error ?? chain.error}
        empty={!e || !c}
        retry={() => {
          void evidence.refetch();
          void chain.refetch();
        }}
      >
        {e && c && (
          <>
            <p className="meta">{t("audit.asOf", { block: e.asOf.block, time: formatChainTime(e.asOf.timestamp, lang) })}</p>
            <TrailPanel evidence={e} chain={c} rpcUrl={rpcUrl} setRpcUrl={setRpcUrl} />
            <BundleButton loanId={loanId} block={e.asOf.block} />
            <section aria-labelledby="actions-title">
              <h2 id="actions-title">{t("audit.actions")}</h2>
              <ActionsTable actions={e.actions} mismatchSeq={mismatchSeq} />
            </section>
            <section aria-labelledby="batches-title">
              <h2 id="batches-title">{t("audit.batches")}</h2>
              <Batches loanId={e.loanId} batches={e.batches} collectionLog={c.contracts.CollectionLog.address as Address} block={e.asOf.block} rpcUrl={rpcUrl} />
            </section>
          </>
        )}
      </QueryState>
    </main>
  );
}

/** Downloads GET /v1/loans/{loanId}/evidence/bundle as the CLI writes it (the same bytes as `evidence export`). */
function BundleButton({ loanId, block }: { loanId: string; block: number }) {
  const { t } = useI18n();
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const download = async () => {
    setState({ busy: true, error: null });
    try {
      const bundle = await must(api.GET("/v1/loans/{loanId}/evidence/bundle", { params: { path: { loanId } } }));
      saveBlob(new Blob([asCliWrites(bundle)], { type: "application/json" }), `loan-${loanId}-evidence.json`);
      setState({ busy: false, error: null });
    } catch (err) {
      setState({ busy: false, error: err instanceof Error ? err.message : String(err) });
    }
  };
  return (
    <section className="bundle">
      <button type="button" className="primary" onClick={download} disabled={state.busy} aria-describedby="bundle-help">
        {t("audit.bundle")}
      </button>{" "}
      <span id="bundle-help" className="help">
        {t("audit.bundle.help", { block })}
      </span>
      {state.error && (
        <p role="alert" className="error">
          {t("audit.bundle.failed", { message: state.error })}
        </p>
      )}
    </section>
  );
}
