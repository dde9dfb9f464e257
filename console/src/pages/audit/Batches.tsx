/**
 * The loan's leaves in anchored batches: batch, root, anchor block; each leaf's inclusion proof
 * checked in this browser, and each root compared with CollectionLog.batchRoot through the
 * auditor's RPC URL when given.
 */
import { useQuery } from "@tanstack/react-query";
import type { Address } from "viem";
import type { Schemas } from "../../api/client";
import { leafProven, readBatchRoots } from "../../lib/batches";
import { shortAddress } from "../../lib/format";
import { useI18n } from "../../lib/i18n";

interface Props {
  loanId: string;
  batches: Schemas["BatchMembership"][];
  collectionLog: Address;
  block: number;
  rpcUrl: string | null;
}

export function Batches({ loanId, batches, collectionLog, block, rpcUrl }: Props) {
  const { t } = useI18n();
  const ids = batches.map((b) => b.batchId);
  const roots = useQuery({
    queryKey: ["batchRoots", rpcUrl, collectionLog, ids, block],
    queryFn: () => readBatchRoots(rpcUrl!, collectionLog, ids, block),
    enabled: rpcUrl !== null && ids.length > 0,
    retry: false,
    staleTime: Infinity,
  });
  if (batches.length === 0) return <p className="state">{t("audit.batches.none")}</p>;
  return (
    <>
      {rpcUrl && roots.error && (
        <p role="alert" className="error">
          {t("audit.rpc.error", { message: roots.error.message })}
        </p>
      )}
      <div className="table-wrap">
        <table className="batches">
          <thead>
            <tr>
              <th scope="col">{t("audit.batch.id")}</th>
              <th scope="col">{t("audit.batch.root")}</th>
              <th scope="col">{t("audit.batch.anchor")}</th>
              <th scope="col">{t("audit.batch.leaves")}</th>
              <th scope="col">{t("audit.batch.proof")}</th>
              <th scope="col">{t("audit.batch.onChain")}</th>
            </tr>
          </thead>
          <tbody>
            {batches.map((b) => {
              const unproven = b.leaves.filter((l) => !leafProven(loanId, b.merkleRoot, l)).map((l) => l.seq);
              const onChain = roots.data?.get(b.batchId);
              return (
                <tr key={b.batchId} data-batch={b.batchId} data-proven={unproven.length === 0} data-root-on-chain={onChain === undefined ? undefined : onChain === b.merkleRoot.toLowerCase()}>
                  <th scope="row">{b.batchId}</th>
                  <td>
                    <code title={b.merkleRoot}>{shortAddress(b.merkleRoot)}</code>
                  </td>
                  <td title={b.anchor.txHash}>#{b.anchor.block}</td>
                  <td>{b.leaves.map((l) => l.seq).join(", ")}</td>
                  <td>
                    {unproven.length === 0 ? (
                      <span className="ok">{t("audit.leaf.verified")}</span>
                    ) : (
                      <span className="error">{t("audit.leaf.notVerified", { seqs: unproven.join(", ") })}</span>
                    )}
                  </td>
                  <td>
                    {!rpcUrl ? (
                      <span className="meta">{t("audit.root.notConsulted")}</span>
                    ) : onChain === undefined ? (
                      roots.isFetching ? t("state.loading") : "—"
                    ) : onChain === b.merkleRoot.toLowerCase() ? (
                      <span className="ok">{t("audit.root.matches")}</span>
                    ) : (
                      <span className="error">{t("audit.root.differs", { root: onChain })}</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
