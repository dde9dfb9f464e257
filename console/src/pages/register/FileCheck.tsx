/** A dropped file, checked: why it cannot be read, its problems as the CLI prints them, or a preview of its loans. */
import { FileFormatError, type FileFormatReason } from "../../../../src/files/errors";
import { parseLoanFile, type LoanFileContext, type LoanRow, type RowProblem } from "../../../../src/files/loan-file";
import { formatRowProblem } from "../../../../src/files/row-file";
import { decodeJurisdiction } from "../../../../src/domain/jurisdiction";
import { formatChainTime, formatMinor, shortAddress } from "../../lib/format";
import { useI18n } from "../../lib/i18n";
import { assetOf, totalsByAsset } from "./summary";

export type FileCheckResult =
  | { kind: "unreadable"; reason: FileFormatReason; message: string }
  | { kind: "problems"; problems: RowProblem[] }
  | { kind: "valid"; rows: LoanRow[] };

const PREVIEW_ROWS = 10;

/** Validates `file` with the CLI's own rules (src/files/loan-file.ts). */
export function checkFile(file: { name: string; text: string }, context: LoanFileContext): FileCheckResult {
  try {
    const { rows, problems } = parseLoanFile(file.name, file.text, context);
    return problems.length > 0 ? { kind: "problems", problems } : { kind: "valid", rows };
  } catch (err) {
    if (err instanceof FileFormatError) return { kind: "unreadable", reason: err.reason, message: err.message.replace(/^error: /, "") };
    throw err;
  }
}

/** Every problem, one line each, exactly as `duetrail loans register` prints them. */
export function ProblemList({ name, problems }: { name: string; problems: RowProblem[] }) {
  const { t } = useI18n();
  return (
    <div role="alert" className="problems">
      <p className="error">{t("register.problems", { count: problems.length, name })}</p>
      <ul>
        {problems.map((p, k) => (
          <li key={k} data-line={p.line} data-field={p.field}>
            <code>{formatRowProblem(p)}</code>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function FileCheck({ name, result }: { name: string; result: FileCheckResult }) {
  const { t, lang } = useI18n();
  if (result.kind === "unreadable") {
    return (
      <p role="alert" className="error">
        {result.reason === "extension" ? t("register.badExtension", { name }) : t("register.unreadable", { message: result.message })}
      </p>
    );
  }
  if (result.kind === "problems") return <ProblemList name={name} problems={result.problems} />;
  const rows = result.rows;
  return (
    <section aria-labelledby="preview-title" className="preview">
      <h2 id="preview-title" data-count={rows.length}>
        {t("register.valid", { count: rows.length })}
      </h2>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">{t("register.totals")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("register.asset")}</th>
              <th scope="col" className="num">{t("register.loans")}</th>
              <th scope="col" className="num">{t("register.totals")}</th>
            </tr>
          </thead>
          <tbody>
            {totalsByAsset(rows).map((a) => (
              <tr key={a.asset} data-asset={a.asset}>
                <th scope="row" title={a.asset}>{shortAddress(a.asset)}</th>
                <td className="num">{a.loans}</td>
                <td className="num" data-total={a.principal.toString()}>{formatMinor(a.principal.toString(), lang)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>{t("register.first", { count: Math.min(rows.length, PREVIEW_ROWS) })}</h3>
      <div className="table-wrap">
        <table className="preview-rows">
          <thead>
            <tr>
              <th scope="col">{t("register.col.line")}</th>
              <th scope="col">{t("register.col.borrower")}</th>
              <th scope="col">{t("register.asset")}</th>
              <th scope="col" className="num">{t("col.principal")}</th>
              <th scope="col" className="num">{t("register.col.installments")}</th>
              <th scope="col">{t("register.col.firstDue")}</th>
              <th scope="col" className="num">{t("register.col.rate")}</th>
              <th scope="col">{t("register.col.jurisdiction")}</th>
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, PREVIEW_ROWS).map((r) => (
              <tr key={r.line} data-line={r.line}>
                <th scope="row">{r.line}</th>
                <td title={r.params.borrower}>{shortAddress(r.params.borrower)}</td>
                <td title={assetOf(r)}>{shortAddress(assetOf(r))}</td>
                <td className="num" data-principal={r.params.principal.toString()}>{formatMinor(r.params.principal.toString(), lang)}</td>
                <td className="num">{r.params.schedule.length}</td>
                <td>{formatChainTime(Number(r.params.schedule[0]!.dueDate), lang)}</td>
                <td className="num">{r.params.contractRateBps}</td>
                <td>{decodeJurisdiction(r.params.jurisdiction)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
