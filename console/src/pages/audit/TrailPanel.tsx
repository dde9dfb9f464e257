/**
 * The trail verified in the browser: the badge (valid / NOT valid with the first mismatch), which
 * source was checked, and the auditor's RPC URL through which the browser reads trailOf itself.
 */
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import type { Address } from "viem";
import type { Schemas } from "../../api/client";
import { useI18n } from "../../lib/i18n";
import { checkTrail, readChainTrail, type Mismatch, type TrailBinding, type TrailCheck } from "../../lib/trail";
import { parseRpcUrl } from "./rpc-url";

interface Props {
  evidence: Schemas["LoanEvidence"];
  chain: Schemas["ChainInfo"];
  /** The auditor's RPC URL (rpc-url.ts), shared with the batch roots' check. */
  rpcUrl: string | null;
  setRpcUrl: (url: string | null) => void;
}

export function TrailPanel({ evidence, chain, rpcUrl, setRpcUrl }: Props) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(rpcUrl ?? "");
  const [draftInvalid, setDraftInvalid] = useState(false);
  const block = evidence.asOf.block;
  const binding: TrailBinding = useMemo(
    () => ({ chainId: chain.chainId, collectionLog: chain.contracts.CollectionLog.address as Address, loanId: evidence.loanId }),
    [chain, evidence.loanId],
  );
  const onChain = useQuery({
    queryKey: ["trailOf", rpcUrl, binding, block],
    queryFn: () => readChainTrail(rpcUrl!, binding, block),
    enabled: rpcUrl !== null,
    retry: false,
    staleTime: Infinity,
  });
  const check = useMemo(() => checkTrail(binding, evidence.actions, onChain.data ?? null), [binding, evidence.actions, onChain.data]);
  const server = evidence.verification;
  return (
    <section aria-labelledby="verify-title" className="verify">
      <h2 id="verify-title">{t("audit.verify")}</h2>
      <p className="meta">{t("audit.binding", { chainId: chain.chainId, address: chain.contracts.CollectionLog.address })}</p>
      <form
        className="rpc"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          const url = parseRpcUrl(draft);
          setDraftInvalid(url === null);
          // The same URL again: read again (the node may be back, or the first read failed).
          if (url && url === rpcUrl) void onChain.refetch();
          else if (url) setRpcUrl(url);
        }}
      >
        <label htmlFor="rpc-url">{t("audit.rpc.label")}</label>
        <input
          id="rpc-url"
          type="url"
          inputMode="url"
          autoComplete="url"
          placeholder="http://127.0.0.1:8545"
          value={draft}
          aria-describedby="rpc-help"
          aria-invalid={draftInvalid || undefined}
          aria-errormessage={draftInvalid ? "rpc-invalid" : undefined}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" className="primary">
          {t("audit.rpc.check")}
        </button>
        {rpcUrl && (
          <button type="button" onClick={() => setRpcUrl(null)}>
            {t("audit.rpc.clear")}
          </button>
        )}
        {draftInvalid && (
          <p id="rpc-invalid" role="alert" className="error">
            {t("audit.rpc.invalid")}
          </p>
        )}
        <p id="rpc-help" className="help">
          {t("audit.rpc.help")}
        </p>
      </form>
      {rpcUrl && onChain.isFetching ? (
        <p role="status" className="state">
          {t("audit.rpc.reading", { rpc: rpcUrl })}
        </p>
      ) : (
        <>
          {rpcUrl && onChain.error && (
            <p id="rpc-error" role="alert" className="error">
              {t("audit.rpc.error", { message: onChain.error.message })}
            </p>
          )}
          <Badge check={check} />
        </>
      )}
      <p className="meta">{server.valid ? t("audit.server.valid") : t("audit.server.invalid", { reason: server.reason ?? "" })}</p>
    </section>
  );
}

function Badge({ check }: { check: TrailCheck }) {
  const { t } = useI18n();
  const c = check.chain;
  return (
    <div
      className={`badge ${check.valid ? "valid" : "invalid"}`}
      role="status"
      data-valid={check.valid}
      data-source={check.source}
      data-head={check.head}
      data-block={c?.block}
      data-seq={check.mismatch && "seq" in check.mismatch ? check.mismatch.seq : undefined}
    >
      <p className="verdict">
        <strong>
          {check.valid
            ? c
              ? t("audit.badge.valid", { count: check.count, head: check.head, block: c.block })
              : t("audit.badge.validEvents", { count: check.count, head: check.head })
            : t("audit.badge.invalid", { mismatch: mismatchText(t, check.mismatch!) })}
        </strong>
      </p>
      <p className="source">{c ? t("audit.source.chain", { rpc: c.rpcUrl, block: c.block }) : t("audit.source.events")}</p>
    </div>
  );
}

function mismatchText(t: ReturnType<typeof useI18n>["t"], m: Mismatch): string {
  switch (m.kind) {
    case "head":
      return t("audit.mismatch.head", { seq: m.seq, expected: m.expected, got: m.got });
    case "sequence":
      return t("audit.mismatch.sequence", { seq: m.seq, detail: m.detail });
    case "count":
      return t("audit.mismatch.count", { chain: m.chain, server: m.server });
    case "chain-head":
      return t("audit.mismatch.chainHead", { expected: m.expected, got: m.got });
  }
}
