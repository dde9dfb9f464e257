/** The loan's leaves in anchored batches: batch, root, anchor block, and each leaf's proof as the server checked it. */
import type { Schemas } from "../../api/client";
import { shortAddress } from "../../lib/format";
import { useI18n } from "../../lib/i18n";

export function Batches({ batches }: { batches: Schemas["BatchMembership"][] }) {
  const { t } = useI18n();
  if (batches.length === 0) return <p className="state">{t("audit.batches.none")}</p>;
  return (
    <div className="table-wrap">
      <table className="batches">
        <thead>
          <tr>
            <th scope="col">{t("audit.batch.id")}</th>
            <th scope="col">{t("audit.batch.root")}</th>
            <th scope="col">{t("audit.batch.anchor")}</th>
            <th scope="col">{t("audit.batch.leaves")}</th>
            <th scope="col">{t("audit.batch.verified")}</th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => (
            <tr key={b.batchId} data-batch={b.batchId}>
              <th scope="row">{b.batchId}</th>
              <td>
                <code title={b.merkleRoot}>{shortAddress(b.merkleRoot)}</code>
              </td>
              <td title={b.anchor.txHash}>#{b.anchor.block}</td>
              <td>{b.leaves.map((l) => l.seq).join(", ")}</td>
              <td>
                {b.leaves.every((l) => l.verified) ? (
                  <span className="ok">{t("audit.leaf.verified")}</span>
                ) : (
                  <span className="error">
                    {t("audit.leaf.notVerified")}: {b.leaves.filter((l) => !l.verified).map((l) => l.seq).join(", ")}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
