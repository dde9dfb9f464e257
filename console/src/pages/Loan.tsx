/**
 * One loan: its status, the schedule in force, the score with its reasons, promises, notices, the
 * contact window, the action form (collectors) and the full timeline, refreshed live from the stream.
 */
import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useCallback, useState } from "react";
import { api, must } from "../api/client";
import { QueryState } from "../components";
import { formatChainTime, shortAddress } from "../lib/format";
import { useI18n, type MessageKey } from "../lib/i18n";
import { Money } from "../lib/money";
import { loadSession } from "../lib/session";
import { useLiveUpdates, type LiveEvent } from "../lib/stream";
import { AuditLink } from "./audit/AuditLink";
import { ContactWindow, type Contact } from "./loan/ContactWindow";
import { Notices } from "./loan/Notices";
import { Promises } from "./loan/Promises";
import { Relief } from "./loan/Relief";
import { usePendingActions } from "./loan/pending";
import { Timeline } from "./loan/Timeline";

// The form reads the API's document for its choices: loaded when a collector opens a loan.
const ActionForm = lazy(() => import("./loan/ActionForm"));

export function Loan({ loanId }: { loanId: string }) {
  const { t, lang } = useI18n();
  const [contact, setContact] = useState<Contact>({ channel: "call", kind: "contact_made" });
  const loan = useQuery({ queryKey: ["loan", loanId], queryFn: () => must(api.GET("/v1/loans/{loanId}", { params: { path: { loanId } } })) });
  const { pending, failed, indexed, sent } = usePendingActions();
  const live = useLiveUpdates(
    loanId,
    useCallback((e: LiveEvent) => indexed([e.txHash]), [indexed]),
  );
  const l = loan.data;
  const version = l?.scheduleVersions[l.scheduleVersions.length - 1];
  const collector = loadSession()?.role === "collector";
  return (
    <main>
      <div className="bar">
        <h1>{t("loan.title", { id: loanId })}</h1>
        <span className={live ? "ok" : "meta"} role="status">
          {live ? t("live.on") : t("live.off")}
        </span>
      </div>
      <AuditLink loanId={loanId} />
      <QueryState loading={loan.isPending} error={loan.error} empty={!l} retry={() => loan.refetch()}>
        {l && (
          <>
            <dl className="facts">
              <dt>{t("col.state")}</dt>
              <dd data-state={l.status.state}>{t(`status.${l.status.state}` as MessageKey)}</dd>
              <dt>{t("col.dpd")}</dt>
              <dd>{l.status.dpd}</dd>
              <dt>{t("col.bucket")}</dt>
              <dd>{l.status.bucket}</dd>
              <dt>{t("col.classification")}</dt>
              <dd data-classification={l.status.classification}>{t(`class.${l.status.classification}` as MessageKey)}</dd>
              <dt>{t("col.overdue")}</dt>
              <dd className="num">
                <Money amount={l.status.amountOverdue} settlement={l.settlement} />
              </dd>
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
                            <td className="num">
                              <Money amount={i.principal} settlement={l.settlement} />
                            </td>
                            <td className="num">
                              <Money amount={i.interest} settlement={l.settlement} />
                            </td>
                            <td>{paid ? t("loan.paid") : overdue ? t("loan.overdue") : t("loan.upcoming")}</td>
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              </section>
            )}
            <Relief relief={l.relief} settlement={l.settlement} />
            <Promises promises={l.promises} settlement={l.settlement} />
            <div className="work">
              <ContactWindow loanId={loanId} contact={contact} />
              {collector && (
                <Suspense fallback={<p role="status" className="state">{t("state.loading")}</p>}>
                  <ActionForm loanId={loanId} chainTime={l.asOf.timestamp} contact={contact} onContact={setContact} onSent={sent} />
                </Suspense>
              )}
            </div>
          </>
        )}
      </QueryState>
      <Notices loanId={loanId} />
      {failed && (
        <p role="alert" className="error">
          {t("action.failed", { tx: shortAddress(failed.tx), status: failed.status })}
        </p>
      )}
      <Timeline loanId={loanId} pending={pending.map((a) => a.tx)} onIndexed={indexed} />
    </main>
  );
}
