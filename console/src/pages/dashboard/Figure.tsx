/** A dashboard chart: a <figure> with its caption, the canvas, and the same numbers as a table (for screen readers and tests). */
import type { ReactNode } from "react";
import { useChart, type ChartOption } from "../../lib/charts";
import { useI18n } from "../../lib/i18n";

/** One table cell: shown text, and the raw figure (amounts in minor units, counts, shares) in `data-value`. */
export interface Cell {
  text: string;
  value?: string | number | null;
  num?: boolean;
}

export interface DataTableProps {
  columns: { label: string; num?: boolean }[];
  /** Each row's first cell is its header (th scope=row). */
  rows: { key: string; cells: Cell[] }[];
}

export function DataTable({ columns, rows }: DataTableProps) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col" className={c.num ? "num" : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              {r.cells.map((c, i) => {
                const props = { className: c.num ? "num" : undefined, "data-value": c.value === undefined || c.value === null ? undefined : String(c.value) };
                return i === 0 ? (
                  <th key={i} scope="row" {...props}>
                    {c.text}
                  </th>
                ) : (
                  <td key={i} {...props}>
                    {c.text}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Canvas({ option, label }: { option: ChartOption; label: string }) {
  const ref = useChart<HTMLDivElement>(option);
  return <div className="chart" ref={ref} role="img" aria-label={label} />;
}

/** `chart` names the figure for tests (`figure[data-chart=…]`); without `option` there is no canvas (figures only). */
export function ChartFigure(p: { chart: string; caption: string; option?: ChartOption; controls?: ReactNode; empty?: boolean; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <figure className="chart-figure" data-chart={p.chart}>
      <figcaption>{p.caption}</figcaption>
      {p.controls}
      {p.empty ? (
        <p className="state">{t("state.empty")}</p>
      ) : (
        <>
          {p.option && <Canvas option={p.option} label={p.caption} />}
          <details open={!p.option}>
            <summary>{t("dash.table")}</summary>
            {p.children}
          </details>
        </>
      )}
    </figure>
  );
}
