/**
 * The loan's relief as the API serves it (GET /v1/loans/{id} `relief`): its last payment holiday
 * (in force or ended), its last arrears plan with each part's outcome, the settlement on offer and
 * the settlement that ended the loan. Nothing when the loan never had any.
 */
import type { Schemas } from "../../api/client";
import { formatChainTime } from "../../lib/format";
import { useI18n, type MessageKey } from "../../lib/i18n";
import { Money, type SettlementLike } from "../../lib/money";

type LoanRelief = Schemas["LoanRelief"];

export function Relief({ relief, settlement }: { relief: LoanRelief; settlement: SettlementLike }) {
  const { t, lang } = useI18n();
  const { holiday, arrearsPlan: plan, settlementOffer: offer, settlement: settled } = relief;
  if (!holiday && !plan && !offer && !settled) return null;
  const money = (amount: string) => <Money amount={amount} settlement={settlement} />;
  return (
    <section aria-labelledby="relief-title" className="relief">
      <h2 id="relief-title">{t("relief.title")}</h2>
      <dl className="facts">
        {holiday && (
          <>
            <dt>{t("relief.holiday")}</dt>
            <dd data-relief="holiday" data-in-force={holiday.inForce}>
              {t(holiday.inForce ? "relief.holiday.inForce" : "relief.holiday.ended", {
                from: formatChainTime(holiday.from, lang),
                to: formatChainTime(holiday.to, lang),
                installments: holiday.installments,
              })}{" "}
              · {t(`relief.interest.${holiday.interest}` as MessageKey)} · {t(`relief.placement.${holiday.placement}` as MessageKey)}
            </dd>
          </>
        )}
        {plan && (
          <>
            <dt>{t("relief.plan")}</dt>
            <dd data-relief="arrears-plan" data-status={plan.status}>
              {t(`relief.plan.${plan.status}` as MessageKey)} · {money(plan.arrears)} {t("relief.plan.summary", { parts: plan.parts.length, createdAt: formatChainTime(plan.createdAt, lang) })} ·{" "}
              {t("relief.plan.paid")} {money(plan.paid)}
              <ol className="plan-parts">
                {plan.parts.map((part, i) => (
                  <li key={i} data-outcome={part.outcome}>
                    {formatChainTime(part.dueDate, lang)} · {money(part.amount)} · {t(`relief.part.${part.outcome}` as MessageKey)}
                  </li>
                ))}
              </ol>
            </dd>
          </>
        )}
        {offer && (
          <>
            <dt>{t("relief.offer")}</dt>
            <dd data-relief="offer" data-expired={offer.expired}>
              {money(offer.amount)} · {t(offer.expired ? "relief.offer.expired" : "relief.offer.until", { deadline: formatChainTime(offer.deadline, lang) })}
            </dd>
          </>
        )}
        {settled && (
          <>
            <dt>{t("relief.settled")}</dt>
            <dd data-relief="settled">
              {t("relief.settled.paid")} {money(settled.amount)} · {t("relief.settled.forgiven")}{" "}
              {money((BigInt(settled.forgiven.principal) + BigInt(settled.forgiven.interest) + BigInt(settled.forgiven.penalty)).toString())} ·{" "}
              {formatChainTime(settled.paidAt, lang)}
            </dd>
          </>
        )}
      </dl>
    </section>
  );
}
