/**
 * The loans a lender or auditor may see, filtered and sorted as the API does, keyset-paginated as
 * the API pages them, and exportable as CSV (every page of the current filter and sort).
 */
import { useRef, useState } from "react";
import { api, must } from "../api/client";
import { LoanLink, MoreButton, QueryState } from "../components";
import { Money } from "../lib/money";
import { useI18n } from "../lib/i18n";
import { useKeysetPages } from "../lib/pages";
import { download, fetchAllLoans, loansCsv } from "./loans-csv";

const BUCKETS = ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"] as const;
type Bucket = (typeof BUCKETS)[number];
const SORTS = ["-dpd", "dpd", "-amountOverdue", "amountOverdue", "nextDue", "-nextDue"] as const;
type Sort = (typeof SORTS)[number];
type Export = { state: "running" | "done"; count: number } | { state: "failed"; message: string } | null;

export function Loans() {
  const { t } = useI18n();
  const [bucket, setBucket] = useState<Bucket | "">("");
  const [sort, setSort] = useState<Sort>("-dpd");
  const page = (cursor: string, limit: number) =>
    must(api.GET("/v1/loans", { params: { query: { limit, sort, ...(bucket ? { bucket } : {}), ...(cursor ? { cursor } : {}) } } }));
  const q = useKeysetPages(["loans", bucket, sort], (cursor) => page(cursor, 50));
  const items = q.items;
  const [exported, setExported] = useState<Export>(null);
  const abort = useRef<AbortController | null>(null);
  const exportCsv = async () => {
    abort.current?.abort();
    const ctl = (abort.current = new AbortController());
    setExported({ state: "running", count: 0 });
    try {
      const all = await fetchAllLoans(page, (count) => setExported({ state: "running", count }), ctl.signal);
      download(loansCsv(all), `loans${bucket ? `-${bucket}` : ""}-${sort}.csv`);
      setExported({ state: "done", count: all.length });
    } catch (e) {
      if (!ctl.signal.aborted) setExported({ state: "failed", message: e instanceof Error ? e.message : String(e) });
    }
  };
  return (
    <main>
      <div className="bar">
        <h1>{t("loans.title")}</h1>
        <label>
          {t("loans.bucket")}{" "}
          <select name="bucket" value={bucket} onChange={(e) => setBucket(e.target.value as Bucket | "")}>
            <option value="">{t("loans.all")}</option>
            {BUCKETS.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("lender.sort")}{" "}
          <select name="sort" value={sort} onChange={(e) => setSort(e.target.value as Sort)}>
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {t(`lender.sort.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <button onClick={exportCsv} disabled={exported?.state === "running"}>
          {t("lender.csv")}
        </button>
        <span role="status" className="meta" data-export={exported?.state}>
          {exported?.state === "running"
            ? t("lender.csv.progress", { count: exported.count })
            : exported?.state === "done"
              ? t("lender.csv.done", { count: exported.count })
              : exported?.state === "failed"
                ? t("lender.csv.error", { message: exported.message })
                : ""}
        </span>
      </div>
      <QueryState loading={q.isPending} error={q.error} empty={items.length === 0} retry={() => q.refetch()}>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("col.loan")}</th>
                <th scope="col">{t("col.state")}</th>
                <th scope="col">{t("col.dpd")}</th>
                <th scope="col">{t("col.bucket")}</th>
                <th scope="col">{t("col.classification")}</th>
                <th scope="col" className="num">{t("col.principal")}</th>
                <th scope="col" className="num">{t("col.overdue")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((l) => (
                <tr key={l.loanId} data-loan={l.loanId}>
                  <th scope="row">
                    <LoanLink id={l.loanId} />
                  </th>
                  <td>{l.status.state}</td>
                  <td>{l.status.dpd}</td>
                  <td>{l.status.bucket}</td>
                  <td>{l.status.classification}</td>
                  <td className="num">
                    <Money amount={l.principal} settlement={l.settlement} />
                  </td>
                  <td className="num">
                    <Money amount={l.status.amountOverdue} settlement={l.settlement} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <MoreButton query={q} />
      </QueryState>
    </main>
  );
}
