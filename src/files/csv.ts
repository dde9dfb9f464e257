/**
 * A small RFC 4180 CSV reader: comma-separated, fields optionally in double quotes ("" is a
 * quote inside them, and quoted fields may span lines), CRLF or LF, a leading BOM ignored. Each
 * record keeps the line it starts on, for error messages.
 */

/** One record: its cells and the (1-based) line it starts on. */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/** Splits CSV text into records. An unterminated quote runs to the end of the text. */
export function parseCsv(text: string): CsvRecord[] {
  const src = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  const endRecord = () => {
    cells.push(cell);
    records.push({ line: start, cells });
    cells = [];
    cell = "";
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        if (c === "\n") line++;
        cell += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && src[i + 1] === "\n") i++;
      endRecord();
      line++;
      start = line;
    } else {
      cell += c;
    }
  }
  if (cell !== "" || cells.length > 0) endRecord();
  return records;
}
