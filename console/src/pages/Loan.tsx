/** One loan: its status, the schedule in force, the score with its reasons, and the full timeline. */
import { useQuery } from "@tanstack/react-query";
import { api, must } from "../api/client";
import { MoreButton, QueryState } from "../components";
import { formatChainTime, formatMinor, shortAddress } from "../lib/format";
import { useI18n } from "../lib/i18n";
import { useKeysetPages } from "../lib/pages";
import { AuditLink } from "./audit/AuditLink";

export function Loan({ loanId }: { loanId: string }) {
  const { t, lang } = useI18n();
  const loan = useQuery({ queryKey: ["loan", loanId], queryFn: () => must(api.GET("/v1/loans/{loanId}", { params: { path: { loanId } } })) });
  const timeline = useKeysetPages(["timeline", loanId], (cursor) =>
    must(api.GET("/v1/loans/{loanId}/timeline", { params: { path: { loanId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } } })),
  );
  const l = loan.data;
  const version = l?.scheduleVersions[l.scheduleVersions.length - 1];
  const events = timeline.items;
  return (
    <main>
      <h1>{t("loan.title", { id: loanId })}</h1>
      <AuditLink loanId={loanId} />
      <QueryState loading={loan.isPending} error={loan.error} empty={!l} retry={() => loan.refetch()}>
        {l && (
          <>
            <dl className="facts">
              <dt>{t("col.state")}</dt>
              <dd>{l.status.state}</dd>
              <dt>{t("col.dpd")}</dt>
              <dd>{l.status.dpd}</dd>
              <dt>{t("col.bucket")}</dt>
              <dd>{l.status.bucket}</dd>
              <dt>{t("col.classification")}</dt>
              <dd>{l.status.classification}</dd>
              <dt>{t("col.overdue")}</dt>
              <dd className="num">{formatMinor(l.status.amountOverdue, lang)}</dd>
              <dt>{t("loan.borrower")}</dt>
              <dd title={l.borrower}>{shortAddress(l.borrower)}</dd>
              <dt>{t("loan.lender")}</dt>
              <dd title={l.lender}>{shortAddress(l.lender)}</dd>
              <dt>{t("col.score")}</dt>
              <dd>
                {l.scores.current ? (
                  <>
                    {l.scores.current.points} ({Math.round(l.scores.current.probability * 100)}%) · {l.scores.current.segment}
                    <ul className="reasons">
                      {l.scores.current.reasons.map((r) => (
                        <li key={r.feature}>{r.text}</li>
                      ))}
                    </ul>
                  </>
                ) : (
                  "—"
                )}
              </dd>
            </dl>
            {version && (
              <section aria-labelledby="schedule-title">
                <h2 id="schedule-title">{t("loan.schedule", { version: version.version })}</h2>
                <div className="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">#</th>
                        <th scope="col">{t("loan.due")}</th>
                        <th scope="col" className="num">{t("loan.principal")}</th>
                        <th scope="col" className="num">{t("loan.interest")}</th>
                        <th scope="col">{t("col.state")}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {version.installments.map((i) => {
                        const paid = i.index < (l.status.nextDue?.installment ?? version.installments.length);
                        const overdue = !paid && l.status.dpd > 0 && i.dueDate <= (l.asOf.timestamp ?? 0);
                        return (
                          <tr key={i.index} className={overdue ? "overdue" : undefined}>
                            <td>{i.index + 1}</td>
                            <td>{formatChainTime(i.dueDate, lang)}</td>
                            <td className="num">{formatMinor(i.principal, lang)}</td>
                            <td className="num">{formatMinor(i.interest, lang)}</td>
                            <td>{paid ? t("loan.paid") : overdue ? t("loan.overdue") : t("loan.upcoming")}</td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              </section>
            )}
          </>
        )}
      </QueryState>
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">{t("loan.timeline")}</h2>
        <QueryState loading={timeline.isPending} error={timeline.error} empty={events.length === 0} retry={() => timeline.refetch()}>
          <ol className="timeline">
            {events.map((e) => (
              <li key={`${e.block}-${e.logIndex}`} data-event={e.event}>
                <time>{formatChainTime(e.timestamp, lang)}</time> <strong>{e.event}</strong> <span className="meta">#{e.block}</span>
              </li>
            ))}
          </ol>
          <MoreButton query={timeline} />
        </QueryState>
      </section>
    </main>
  );
}
