/** The loan's promises to pay, each pending, kept or broken as the API computes it at the indexed block. */
import { QueryState } from "../../components";
import { formatChainTime } from "../../lib/format";
import { useI18n, type MessageKey } from "../../lib/i18n";
import { Money, type SettlementLike } from "../../lib/money";

interface PromiseRow {
  seq: number;
  amount: string;
  dueBy: number;
  madeAt: number;
  status: "pending" | "kept" | "broken";
}

export function Promises({ promises, settlement }: { promises: PromiseRow[]; settlement: SettlementLike }) {
  const { t, lang } = useI18n();
  const count = (s: PromiseRow["status"]) => promises.filter((p) => p.status === s).length;
  return (
    <section aria-labelledby="promises-title">
      <h2 id="promises-title">{t("promises.title")}</h2>
      <QueryState loading={false} error={null} empty={promises.length === 0} retry={() => undefined}>
        <p className="meta">{t("promises.summary", { pending: count("pending"), kept: count("kept"), broken: count("broken") })}</p>
        <div className="table-wrap">
          <table className="promises">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t("promises.made")}</th>
                <th scope="col">{t("promises.dueBy")}</th>
                <th scope="col" className="num">{t("promises.amount")}</th>
                <th scope="col">{t("col.state")}</th>
              </tr>
            </thead>
            <tbody>
              {promises.map((p) => (
                <tr key={p.seq} data-status={p.status} className={p.status === "broken" ? "overdue" : undefined}>
                  <td>{p.seq}</td>
                  <td>{formatChainTime(p.madeAt, lang)}</td>
                  <td>{formatChainTime(p.dueBy, lang)}</td>
                  <td className="num">
                    <Money amount={p.amount} settlement={settlement} />
                  </td>
                  <td>{t(`promise.${p.status}` as MessageKey)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </QueryState>
    </section>
  );
}
