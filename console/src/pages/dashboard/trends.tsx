/** The dashboard's history charts, from GET /v1/portfolio/trends: ageing at each month-end, vintage curves. */
import { useMemo, useState } from "react";
import type { Schemas } from "../../api/client";
import { BUCKET_COLORS, type ChartOption } from "../../lib/charts";
import { formatMinor } from "../../lib/format";
import { useI18n } from "../../lib/i18n";
import { ChartFigure, DataTable } from "./Figure";

type Trends = Schemas["PortfolioTrends"];

/** Chart geometry only: an amount as a JS number (the tables keep the exact minor units). */
const magnitude = (amount: string) => Number(amount);

const percent = (share: number | null, lang: string) => (share === null ? "—" : new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 2 }).format(share));

export function AgeingChart({ trends }: { trends: Trends }) {
  const { t, lang } = useI18n();
  const [measure, setMeasure] = useState<"loans" | "amount">("loans");
  const labels = trends.ageing[0]?.buckets.map((b) => b.bucket) ?? [];
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: "axis", confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: trends.ageing.map((p) => p.month) },
      yAxis: { type: "value" },
      series: labels.map((bucket, b) => ({
        name: bucket,
        type: "bar",
        stack: "ageing",
        color: BUCKET_COLORS[b],
        data: trends.ageing.map((p) => (measure === "loans" ? p.buckets[b]!.loans : magnitude(p.buckets[b]!.amountOverdue))),
      })),
    }),
    [trends, measure, labels.join()],
  );
  const controls = (
    <fieldset className="measure">
      <legend>{t("dash.measure")}</legend>
      {(["loans", "amount"] as const).map((m) => (
        <label key={m}>
          <input type="radio" name="ageing-measure" value={m} checked={measure === m} onChange={() => setMeasure(m)} /> {t(m === "loans" ? "dash.measure.loans" : "dash.measure.amount")}
        </label>
      ))}
    </fieldset>
  );
  return (
    <ChartFigure chart="ageing" caption={t("dash.ageing")} option={option} controls={controls} empty={trends.ageing.length === 0}>
      <DataTable
        columns={[{ label: t("dash.col.month") }, { label: t("col.bucket") }, { label: t("dash.measure.loans"), num: true }, { label: t("col.overdue"), num: true }]}
        rows={trends.ageing.flatMap((p) =>
          p.buckets.map((b) => ({
            key: `${p.month}-${b.bucket}`,
            cells: [
              { text: p.month, value: p.month },
              { text: b.bucket, value: b.bucket },
              { text: b.loans.toLocaleString(lang), value: b.loans, num: true },
              { text: formatMinor(b.amountOverdue, lang), value: b.amountOverdue, num: true },
            ],
          })),
        )}
      />
    </ChartFigure>
  );
}

export function VintageChart({ trends }: { trends: Trends }) {
  const { t, lang } = useI18n();
  const longest = Math.max(0, ...trends.vintages.map((v) => v.points.length));
  const option = useMemo<ChartOption>(
    () => ({
      tooltip: { trigger: "axis", confine: true, valueFormatter: (v) => percent(typeof v === "number" ? v : null, lang) },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 16, top: 36, bottom: 24, containLabel: true },
      xAxis: { type: "category", name: t("dash.col.mob"), nameLocation: "middle", nameGap: 24, data: Array.from({ length: longest }, (_, k) => String(k)) },
      yAxis: { type: "value", axisLabel: { formatter: (v: number) => percent(v, lang) } },
      series: trends.vintages.map((v) => ({ name: v.month, type: "line", data: v.points.map((p) => p.share) })),
    }),
    [trends, lang, longest, t],
  );
  const col = (key: Parameters<typeof t>[0], num = false) => ({ label: t(key, { dpd: trends.vintageDpd }), num });
  return (
    <ChartFigure chart="vintages" caption={t("dash.vintages", { dpd: trends.vintageDpd })} option={option} empty={trends.vintages.length === 0}>
      <DataTable
        columns={[col("dash.col.vintage"), col("dash.col.originated", true), col("dash.col.mob", true), col("dash.col.late", true), col("dash.col.share", true)]}
        rows={trends.vintages.flatMap((v) =>
          v.points.map((p) => ({
            key: `${v.month}-${p.monthsOnBook}`,
            cells: [
              { text: v.month, value: v.month },
              { text: v.originated.toLocaleString(lang), value: v.originated, num: true },
              { text: String(p.monthsOnBook), value: p.monthsOnBook, num: true },
              { text: p.loans.toLocaleString(lang), value: p.loans, num: true },
              { text: percent(p.share, lang), value: p.share, num: true },
            ],
          })),
        )}
      />
    </ChartFigure>
  );
}
