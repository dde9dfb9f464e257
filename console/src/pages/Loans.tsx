/** The loans a lender or auditor may see, filtered by bucket, keyset-paginated as the API pages them. */
import { useState } from "react";
import { api, must } from "../api/client";
import { LoanLink, MoreButton, QueryState } from "../components";
import { formatMinor } from "../lib/format";
import { useI18n } from "../lib/i18n";
import { useKeysetPages } from "../lib/pages";

const BUCKETS = ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"] as const;
type Bucket = (typeof BUCKETS)[number];

export function Loans() {
  const { t, lang } = useI18n();
  const [bucket, setBucket] = useState<Bucket | "">("");
  const q = useKeysetPages(["loans", bucket], (cursor) =>
    must(api.GET("/v1/loans", { params: { query: { limit: 50, sort: "-dpd", ...(bucket ? { bucket } : {}), ...(cursor ? { cursor } : {}) } } })),
  );
  const items = q.items;
  return (
    <main>
      <div className="bar">
        <h1>{t("loans.title")}</h1>
        <label>
          {t("loans.bucket")}{" "}
          <select value={bucket} onChange={(e) => setBucket(e.target.value as Bucket | "")}>
            <option value="">{t("loans.all")}</option>
            {BUCKETS.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
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
                  <td className="num">{formatMinor(l.principal, lang)}</td>
                  <td className="num">{formatMinor(l.status.amountOverdue, lang)}</td>
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
