/** The dashboard's charts of the book now, from GET /v1/portfolio and /v1/portfolio/notices. */
import { useMemo } from "react";
import type { Schemas } from "../../api/client";
import type { ChartOption } from "../../lib/charts";
import { formatChainTime, formatMinor, shortAddress } from "../../lib/format";
import { useI18n, type MessageKey } from "../../lib/i18n";
import { ChartFigure, DataTable } from "./Figure";

type Portfolio = Schemas["Portfolio"];
type Notices = Schemas["NoticeCounts"];

const BUCKETS = ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"] as const;
const DESTINATIONS = [...BUCKETS, "closed", "written_off", "settled"] as const;

export function RollRateChart({ portfolio }: { portfolio: Portfolio }) {
  const { t, lang } = useI18n();
  const { transitions, rates, windowDays } = portfolio.rollRates;
  const cell = (from: string, to: string) => transitions.find((x) => x.from === from && x.to === to)?.loans ?? 0;
  const toLabel = (to: string) => (to === "closed" || to === "written_off" || to === "settled" ? t(`dash.to.${to}` as MessageKey) : to);
  const option = useMemo<ChartOption>(() => {
    const max = Math.max(1, ...transitions.map((x) => x.loans));
    return {
      tooltip: { position: "top", confine: true },
      grid: { left: 8, right: 8, top: 8, bottom: 56, containLabel: true },
      xAxis: { type: "category", data: DESTINATIONS.map(toLabel), splitArea: { show: true }, axisLabel: { interval: 0, rotate: 45 } },
      yAxis: { type: "category", data: [...BUCKETS], inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max, show: false, inRange: { color: ["#f4f7fb", "#0b5cad"] } },
      series: [
        {
          type: "heatmap",
          label: { show: true, formatter: (p) => (Array.isArray(p.value) && p.value[2] ? String(p.value[2]) : "") },
          data: BUCKETS.flatMap((from, y) => DESTINATIONS.map((to, x) => [x, y, cell(from, to)])),
        },
      ],
    };
  }, [portfolio, lang]);
  return (
    <ChartFigure chart="rolls" caption={t("dash.rolls", { days: windowDays })} option={option} empty={transitions.length === 0}>
      <DataTable
        columns={[{ label: t("dash.col.from") }, ...DESTINATIONS.map((to) => ({ label: toLabel(to), num: true })), { label: t("dash.col.rate"), num: true }]}
        rows={BUCKETS.map((from) => {
          const rate = rates.find((r) => r.from === from);
          return {
            key: from,
            cells: [
              { text: from, value: from },
              ...DESTINATIONS.map((to) => ({ text: cell(from, to).toLocaleString(lang), value: cell(from, to), num: true })),
              { text: rate?.rate === null || !rate ? "—" : new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 2 }).format(rate.rate), value: rate?.rate ?? null, num: true },
            ],
          };
        })}
      />
    </ChartFigure>
  );
}

export function RecoveriesFigure({ portfolio }: { portfolio: Portfolio }) {
  const { t, lang } = useI18n();
  const r = portfolio.recoveries;
  return (
    <ChartFigure chart="recoveries" caption={t("dash.recoveries")}>
      <DataTable
        columns={[{ label: t("dash.col.count"), num: true }, { label: t("dash.col.amount"), num: true }]}
        rows={[{ key: "recoveries", cells: [{ text: r.count.toLocaleString(lang), value: r.count, num: true }, { text: formatMinor(r.amount, lang), value: r.amount, num: true }] }]}
      />
    </ChartFigure>
  );
}

export function CollectorChart({ portfolio }: { portfolio: Portfolio }) {
  const { t, lang } = useI18n();
  const rows = portfolio.collectors;
  const measures = [
    ["actions", "dash.col.actions", "#0b5cad"],
    ["contactsMade", "dash.col.contacts", "#4c9a5a"],
    ["promises", "dash.col.promises", "#f0a04b"],
    ["flagged", "dash.col.flagged", "#c94a33"],
  ] as const;
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: "axis", confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: rows.map((c) => shortAddress(c.collector)) },
      yAxis: { type: "value", minInterval: 1 },
      series: measures.map(([key, label, color]) => ({ name: t(label), type: "bar", color, data: rows.map((c) => c[key]) })),
    }),
    [portfolio, lang],
  );
  return (
    <ChartFigure chart="collectors" caption={t("dash.collectors")} option={option} empty={rows.length === 0}>
      <DataTable
        columns={[{ label: t("dash.col.collector") }, ...measures.map(([, label]) => ({ label: t(label), num: true })), { label: t("dash.col.last") }]}
        rows={rows.map((c) => ({
          key: c.collector,
          cells: [
            { text: shortAddress(c.collector), value: c.collector },
            ...measures.map(([key]) => ({ text: c[key].toLocaleString(lang), value: c[key], num: true })),
            { text: c.lastActionAt === null ? "—" : formatChainTime(c.lastActionAt, lang), value: c.lastActionAt },
          ],
        }))}
      />
    </ChartFigure>
  );
}

const STATUS_COLORS: Record<string, string> = {
  pending: "#9aa5b1",
  deferred: "#f2d15c",
  sent: "#7fb3e6",
  delivered: "#4c9a5a",
  failed: "#c94a33",
  cancelled: "#6b7580",
  orphaned: "#a3302b",
};

export function NoticeChart({ notices }: { notices: Notices }) {
  const { t, lang } = useI18n();
  const statuses = Object.keys(notices.statuses) as (keyof Notices["statuses"])[];
  const channel = (c: string) => t(`dash.channel.${c}` as MessageKey);
  const status = (s: string) => t(`dash.status.${s}` as MessageKey);
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: "axis", confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: notices.channels.map((c) => channel(c.channel)) },
      yAxis: { type: "value", minInterval: 1 },
      series: statuses.map((s) => ({ name: status(s), type: "bar", stack: "notices", color: STATUS_COLORS[s], data: notices.channels.map((c) => c.statuses[s]) })),
    }),
    [notices, lang],
  );
  return (
    <ChartFigure chart="notices" caption={t("dash.notices")} option={option} empty={notices.total === 0}>
      <DataTable
        columns={[{ label: t("dash.col.channel") }, ...statuses.map((s) => ({ label: status(s), num: true })), { label: t("dash.col.total"), num: true }]}
        rows={notices.channels.map((c) => ({
          key: c.channel,
          cells: [
            { text: channel(c.channel), value: c.channel },
            ...statuses.map((s) => ({ text: c.statuses[s].toLocaleString(lang), value: c.statuses[s], num: true })),
            { text: c.total.toLocaleString(lang), value: c.total, num: true },
          ],
        }))}
      />
    </ChartFigure>
  );
}
