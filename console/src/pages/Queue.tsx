/** The collector's work queue as the API orders it: strategy (expected recovery) or oldest due first. */
import { useState } from "react";
import { api, must } from "../api/client";
import { LoanLink, MoreButton, QueryState } from "../components";
import { formatChainTime } from "../lib/format";
import { useI18n } from "../lib/i18n";
import { Money } from "../lib/money";
import { useKeysetPages } from "../lib/pages";
import { useLiveUpdates } from "../lib/stream";
import { useFlagText } from "./loan/ContactWindow";

type Order = "strategy" | "due";

const queuePage = (order: Order, cursor: string) => must(api.GET("/v1/queue", { params: { query: { limit: 50, order, ...(cursor ? { cursor } : {}) } } }));
type QueueItem = Awaited<ReturnType<typeof queuePage>>["items"][number];

export function Queue() {
  const { t, lang } = useI18n();
  const [order, setOrder] = useState<Order>("strategy");
  const q = useKeysetPages(["queue", order], (cursor) => queuePage(order, cursor));
  const live = useLiveUpdates();
  const items = q.items;
  const asOf = q.first?.asOf;
  return (
    <main>
      <div className="bar">
        <h1>{t("queue.title")}</h1>
        <span className={live ? "ok" : "meta"} role="status">
          {live ? t("live.on") : t("live.off")}
        </span>
        <label>
          {t("queue.order")}{" "}
          <select value={order} onChange={(e) => setOrder(e.target.value as Order)}>
            <option value="strategy">{t("queue.order.strategy")}</option>
            <option value="due">{t("queue.order.due")}</option>
          </select>
        </label>
      </div>
      <QueryState loading={q.isPending} error={q.error} empty={items.length === 0} retry={() => q.refetch()}>
        {asOf && <p className="meta">{t("queue.count", { count: items.length, block: asOf.block, time: formatChainTime(asOf.timestamp, lang) })}</p>}
        <div className="table-wrap">
          <table className="queue">
            <thead>
              <tr>
                <th scope="col">{t("col.rank")}</th>
                <th scope="col">{t("col.loan")}</th>
                <th scope="col">{t("col.dpd")}</th>
                <th scope="col">{t("col.bucket")}</th>
                <th scope="col" className="num">{t("col.overdue")}</th>
                <th scope="col">{t("col.score")}</th>
                <th scope="col">{t("col.segment")}</th>
                <th scope="col">{t("col.reasons")}</th>
                <th scope="col">{t("col.next")}</th>
                <th scope="col">{t("col.window")}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <Row key={i.loanId} item={i} />
              ))}
            </tbody>
          </table>
        </div>
        <MoreButton query={q} />
      </QueryState>
    </main>
  );
}

function Row({ item: i }: { item: QueueItem }) {
  const { t, lang } = useI18n();
  const flags = useFlagText();
  const s = i.strategy;
  const w = i.contactWindow;
  return (
    <tr data-loan={i.loanId}>
      <td>{i.rank}</td>
      <th scope="row">
        <LoanLink id={i.loanId} />
      </th>
      <td>{i.dpd}</td>
      <td>{i.bucket}</td>
      <td className="num">
        <Money amount={i.amountOverdue} settlement={i.settlement} />
      </td>
      <td>{s ? `${s.score.points} (${Math.round(s.score.probability * 100)}%)` : "—"}</td>
      <td>{s?.segment ?? "—"}</td>
      <td>
        {s && s.score.reasons.length > 0 ? (
          <ul className="reasons">
            {s.score.reasons.map((r) => (
              <li key={r.feature}>{r.text}</li>
            ))}
          </ul>
        ) : (
          "—"
        )}
      </td>
      <td>{s ? [s.nextBestAction.action, s.nextBestAction.channel?.name].filter(Boolean).join(" · ") : "—"}</td>
      <td>
        {w.allowedNow ? (
          <span className="ok">{t("window.allowed")}</span>
        ) : (
          <span className="blocked" title={flags(w.reasons)}>
            {w.nextAllowedAt ? t("window.blocked", { time: formatChainTime(w.nextAllowedAt, lang) }) : flags(w.reasons)}
          </span>
        )}
      </td>
    </tr>
  );
}
