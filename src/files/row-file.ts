/**
 * The rows of an operator file, JSON or CSV by extension, each with the line of every value, for
 * the `line N, field X: message` problems of an all-or-nothing import (`loans register`,
 * `borrowers import`). A JSON file is an array of objects or `{"<listKey>": [...]}`; a CSV file has
 * a header row naming known columns, `#` comment lines and blank lines are skipped. Pure (the text
 * is given, the name only tells the format): shared by the CLI and the console.
 */
import { parseCsv } from "./csv";
import { FileFormatError } from "./errors";
import { parseLocatedJson, type JsonPath } from "./located-json";

/** One problem in the file. */
export interface RowProblem {
  line: number;
  field: string;
  message: string;
}

/** One row as read (not yet validated) and how to find the line of one of its fields. */
export interface RawRow {
  value: unknown;
  lineOf(path: JsonPath): number;
}

/** What the file holds: `listKey` of the JSON object form, the CSV columns allowed. */
export interface RowFileShape {
  listKey: string;
  columns: readonly string[];
}

/**
 * Reads the rows of `file` (.json or .csv).
 * @returns the rows and the problems of the file's shape (an unknown CSV column, a short row).
 * @throws FileFormatError when the extension is neither, or the text is not JSON / has no header.
 */
export function readRowFile(file: string, text: string, shape: RowFileShape): { rows: RawRow[]; problems: RowProblem[] } {
  const ext = extension(file);
  if (ext === ".csv") return csvRows(text, file, shape.columns);
  if (ext === ".json") return jsonRows(text, file, shape.listKey);
  throw new FileFormatError("extension", `error: --file must end in .json or .csv, got ${file}`);
}

/** `.csv` of `dir/loans.CSV`, as node's path.extname (a leading dot alone is no extension), lower case. */
function extension(file: string): string {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot).toLowerCase() : "";
}

/** `line 3, field principal: must be a positive integer in minor units`, as the CLI prints a problem. */
export function formatRowProblem(p: RowProblem): string {
  return `line ${p.line}, field ${p.field}: ${p.message}`;
}

function jsonRows(text: string, file: string, listKey: string): { rows: RawRow[]; problems: RowProblem[] } {
  const doc = parseLocatedJson(text, file);
  const isObject = doc.value !== null && typeof doc.value === "object" && !Array.isArray(doc.value);
  const list = Array.isArray(doc.value) ? doc.value : isObject ? (doc.value as Record<string, unknown>)[listKey] : undefined;
  if (!Array.isArray(list)) throw new FileFormatError("shape", `error: ${file}: expected an array of ${listKey}, or {"${listKey}": [...]}`);
  const base: JsonPath = Array.isArray(doc.value) ? [] : [listKey];
  return { rows: list.map((value, k) => ({ value, lineOf: (p: JsonPath) => doc.lineOf([...base, k, ...p]) })), problems: [] };
}

function csvRows(text: string, file: string, allowed: readonly string[]): { rows: RawRow[]; problems: RowProblem[] } {
  const records = parseCsv(text).filter((r) => !(r.cells.length === 1 && r.cells[0] === "") && !r.cells[0]?.startsWith("#"));
  const [header, ...body] = records;
  if (!header) throw new FileFormatError("empty", `error: ${file} is empty`);
  const columns = header.cells.map((c) => c.trim());
  const problems: RowProblem[] = [];
  columns.forEach((c) => {
    if (!allowed.includes(c)) problems.push({ line: header.line, field: c || "(empty)", message: `is not a CSV column (columns: ${allowed.join(", ")})` });
  });
  if (problems.length > 0) return { rows: [], problems };
  const rows: RawRow[] = [];
  for (const rec of body) {
    if (rec.cells.length !== columns.length) {
      problems.push({ line: rec.line, field: "(row)", message: `has ${rec.cells.length} cells, the header has ${columns.length}` });
      continue;
    }
    const value: Record<string, string> = {};
    columns.forEach((c, k) => {
      const cell = rec.cells[k]!.trim();
      if (cell !== "") value[c] = cell;
    });
    rows.push({ value, lineOf: () => rec.line });
  }
  return { rows, problems };
}
