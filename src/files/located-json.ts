/**
 * JSON input parsed with the line of every value kept, so a validation problem can say
 * `line N, field X`. Pure: no file system, shared by the CLI and the console.
 */
import { FileFormatError } from "./errors";

/** A path inside a JSON document: keys and array indexes. */
export type JsonPath = readonly (string | number)[];

/** A parsed JSON document and the line each value starts on. */
export interface LocatedJson {
  value: unknown;
  /** Line (1-based) of the value at `path`, or of its nearest ancestor present in the file. */
  lineOf(path: JsonPath): number;
}

/**
 * Parses JSON text and records where each value starts.
 * @throws FileFormatError `line N: <syntax error>` when the text is not JSON.
 */
export function parseLocatedJson(text: string, file: string): LocatedJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const m = /position (\d+)/.exec((err as Error).message);
    const line = m ? text.slice(0, Number(m[1])).split("\n").length : undefined;
    throw new FileFormatError("json", `error: ${file}${line ? `: line ${line}` : ""}: not valid JSON (${(err as Error).message.split("\n")[0]})`);
  }
  const lines = locate(text);
  return {
    value,
    lineOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const line = lines.get(JSON.stringify(path.slice(0, n)));
        if (line !== undefined) return line;
      }
      return 1;
    },
  };
}

/** Line of every value of a (valid) JSON text, keyed by JSON.stringify(path). */
function locate(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) {
      if (text[i] === "\n") line++;
      i++;
    }
  };
  const str = (): string => {
    const start = ++i;
    while (text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    return JSON.parse(`"${text.slice(start, i++)}"`) as string;
  };
  const value = (path: (string | number)[]) => {
    ws();
    lines.set(JSON.stringify(path), line);
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      for (let k = 0; text[i] !== close; k++) {
        if (c === "{") {
          const key = str();
          ws();
          i++; // ':'
          value([...path, key]);
        } else {
          value([...path, k]);
        }
        ws();
        if (text[i] === ",") i++;
        ws();
      }
      i++;
    } else if (c === '"') {
      str();
    } else {
      while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    }
  };
  value([]);
  return lines;
}

/** `schedule[2].dueDate` for the path ["schedule", 2, "dueDate"]. */
export function fieldName(path: JsonPath): string {
  return path.reduce<string>((s, p) => (typeof p === "number" ? `${s}[${p}]` : s ? `${s}.${p}` : p), "");
}
