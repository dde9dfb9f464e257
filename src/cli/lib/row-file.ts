/**
 * The rows of an operator file (src/files/row-file.ts, shared with the console), for the CLI: a file
 * that cannot be read as rows is a UsageError with the same message.
 */
import { readRowFile as readRows, type RawRow, type RowFileShape, type RowProblem } from "../../files/row-file";
import { asUsageError } from "./errors";

export { formatRowProblem, type RawRow, type RowFileShape, type RowProblem } from "../../files/row-file";

/**
 * Reads the rows of `file` (.json or .csv).
 * @throws UsageError when the extension is neither, or the text is not JSON / has no header.
 */
export function readRowFile(file: string, text: string, shape: RowFileShape): { rows: RawRow[]; problems: RowProblem[] } {
  return asUsageError(() => readRows(file, text, shape));
}
