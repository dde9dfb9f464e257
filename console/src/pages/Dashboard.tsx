/**
 * The lender's portfolio dashboard (issue 17): headline figures of the book now, then charts of its
 * ageing over time, roll rates, vintages, recoveries, collector activity and notice delivery. Each
 * chart is a figure with a table of the same numbers. Loaded lazily (App.tsx): it carries ECharts.
 */
import { useQuery } from "@tanstack/react-query";
import { api, must } from "../api/client";
import { QueryState } from "../components";
import { formatChainTime, formatMinor } from "../lib/format";
import { useI18n } from "../lib/i18n";
import { CollectorChart, NoticeChart, RecoveriesFigure, RollRateChart } from "./dashboard/book";
import { AgeingChart, VintageChart } from "./dashboard/trends";

const TREND_MONTHS = 12;

export function Dashboard() {
  const { t, lang } = useI18n();
  const portfolio = useQuery({ queryKey: ["portfolio"], queryFn: () => must(api.GET("/v1/portfolio", {})) });
  const trends = useQuery({
    queryKey: ["portfolio-trends", TREND_MONTHS],
    queryFn: () => must(api.GET("/v1/portfolio/trends", { params: { query: { months: TREND_MONTHS } } })),
  });
  const notices = useQuery({ queryKey: ["portfolio-notices"], queryFn: () => must(api.GET("/v1/portfolio/notices", {})) });
  const p = portfolio.data;
  return (
    <main className="dashboard">
      <h1>{t("dash.title")}</h1>
      <QueryState loading={portfolio.isPending} error={portfolio.error} empty={!p} retry={() => portfolio.refetch()}>
        {p && (
          <>
            <p className="meta" data-asof={p.asOf.block}>
              {t("dash.asOf", { block: p.asOf.block, time: formatChainTime(p.asOf.timestamp, lang) })}
            </p>
            <dl className="headline" data-chart="totals">
              {(
                [
                  ["dash.totals.loans", p.totals.loans.toLocaleString(lang), p.totals.loans],
                  ["dash.totals.principal", formatMinor(p.totals.outstandingPrincipal, lang), p.totals.outstandingPrincipal],
                  ["dash.totals.overdue", formatMinor(p.totals.amountOverdue, lang), p.totals.amountOverdue],
                  ["dash.totals.penalty", formatMinor(p.totals.penaltyAccrued, lang), p.totals.penaltyAccrued],
                ] as const
              ).map(([label, text, value]) => (
                <div key={label}>
                  <dt>{t(label)}</dt>
                  <dd className="num" data-value={String(value)}>
                    {text}
                  </dd>
                </div>
              ))}
            </dl>
          </>
        )}
      </QueryState>
      <section aria-labelledby="dash-history" className="charts">
        <h2 id="dash-history">{t("dash.history")}</h2>
        <QueryState loading={trends.isPending} error={trends.error} empty={!trends.data} retry={() => trends.refetch()}>
          {trends.data && (
            <>
              <AgeingChart trends={trends.data} />
              <VintageChart trends={trends.data} />
            </>
          )}
        </QueryState>
      </section>
      <section aria-labelledby="dash-now" className="charts">
        <h2 id="dash-now">{t("dash.now")}</h2>
        {p && (
          <>
            <RollRateChart portfolio={p} />
            <RecoveriesFigure portfolio={p} />
            <CollectorChart portfolio={p} />
          </>
        )}
        <QueryState loading={notices.isPending} error={notices.error} empty={!notices.data} retry={() => notices.refetch()}>
          {notices.data && <NoticeChart notices={notices.data} />}
        </QueryState>
      </section>
    </main>
  );
}
