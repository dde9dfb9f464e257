/** Every event of the loan in chain order, with the actions this console just sent shown pending until indexed. */
import { useEffect } from "react";
import { api, must } from "../../api/client";
import { MoreButton, QueryState } from "../../components";
import { ACTION_FIELDS } from "../../lib/action-schema";
import { formatChainTime, shortAddress } from "../../lib/format";
import { useI18n, type MessageKey } from "../../lib/i18n";
import { useKeysetPages } from "../../lib/pages";


/** A few words on what an event says (the full arguments are in the API). */
function useSummary() {
  const { t } = useI18n();
  return (event: string, args: Record<string, unknown>): string => {
    if (event === "ActionRecorded") {
      const c = ACTION_FIELDS.channels[Number(args.channel)] ?? "other";
      const k = ACTION_FIELDS.kinds[Number(args.kind)] ?? "note";
      return `${t(`channel.${c}` as MessageKey)} · ${t(`kind.${k}` as MessageKey)} · ${shortAddress(String(args.collector ?? ""))}`;
    }
    if (event === "LoanRepaid") return String(args.amount ?? "");
    return "";
  };
}

export function Timeline({ loanId, pending, onIndexed }: { loanId: string; pending: string[]; onIndexed: (txs: string[]) => void }) {
  const { t, lang } = useI18n();
  const summary = useSummary();
  const q = useKeysetPages(["timeline", loanId], (cursor) =>
    must(api.GET("/v1/loans/{loanId}/timeline", { params: { path: { loanId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } } })),
  );
  // The stream settles a pending action as soon as its event is indexed; a page that already holds it does too.
  useEffect(() => {
    const seen = new Set(q.items.map((e) => e.txHash.toLowerCase()));
    const done = pending.filter((tx) => seen.has(tx.toLowerCase()));
    if (done.length) onIndexed(done);
  }, [q.items, pending, onIndexed]);
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">{t("loan.timeline")}</h2>
      {pending.map((tx) => (
        <p key={tx} role="status" className="pending" data-pending-tx={tx}>
          {t("action.step.pending", { tx: shortAddress(tx) })}
        </p>
      ))}
      <QueryState loading={q.isPending} error={q.error} empty={q.items.length === 0} retry={() => q.refetch()}>
        <ol className="timeline">
          {q.items.map((e) => (
            <li key={`${e.block}-${e.logIndex}`} data-event={e.event} data-tx={e.txHash}>
              <time>{formatChainTime(e.timestamp, lang)}</time> <strong>{e.event}</strong> <span className="meta">{summary(e.event, e.args)} #{e.block}</span>
            </li>
          ))}
        </ol>
        <MoreButton query={q} />
      </QueryState>
    </section>
  );
}
