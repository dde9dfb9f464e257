/**
 * JSON in and out for operator commands: output with bigints as decimal strings, and input files
 * parsed with the line of every value kept, so a validation problem can say `line N, field X`.
 */
import fs from "node:fs";
import type { z } from "zod";
import { fieldName, parseLocatedJson as parseJson, type JsonPath, type LocatedJson } from "../../files/located-json";
import { jsonSafe } from "../../domain/json-safe";
import { UsageError, asUsageError } from "./errors";

export { fieldName, type JsonPath, type LocatedJson } from "../../files/located-json";
// Pure, so they live in src/domain (the evidence bundle and the API print the same way).
export { chainNumber, jsonSafe } from "../../domain/json-safe";

/** Prints `value` as indented JSON on stdout (bigints as strings). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(jsonSafe(value), null, 2)}\n`);
}

/**
 * Reads a file as text.
 * @throws UsageError naming the file and the reason.
 */
export function readTextFile(path: string, flag = "--file"): string {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new UsageError(`error: ${flag} ${path}: ${why}`);
  }
}

/**
 * Parses JSON text and records where each value starts (src/files/located-json.ts).
 * @throws UsageError `line N: <syntax error>` when the text is not JSON.
 */
export function parseLocatedJson(text: string, file: string): LocatedJson {
  return asUsageError(() => parseJson(text, file));
}

/**
 * Reads a JSON file and validates it with `schema`.
 * @throws UsageError listing every problem as `line N, field X: message`, then a summary line.
 */
export function readJsonFile<T extends z.ZodType>(file: string, schema: T, what: string): z.output<T> {
  const doc = parseLocatedJson(readTextFile(file), file);
  const parsed = schema.safeParse(doc.value);
  if (parsed.success) return parsed.data;
  const problems: { line: number; text: string }[] = [];
  for (const issue of parsed.error.issues) {
    const keys = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k] as JsonPath) : [issue.path as JsonPath];
    for (const p of keys) {
      const message = issue.code === "unrecognized_keys" ? `is not a ${what} field` : issue.message;
      const line = doc.lineOf(p);
      problems.push({ line, text: `line ${line}, field ${fieldName(p) || "(root)"}: ${message}` });
    }
  }
  const lines = problems.sort((a, b) => a.line - b.line).map((p) => p.text);
  throw new UsageError([...lines, `error: ${lines.length} problem${lines.length === 1 ? "" : "s"} in ${file}; nothing was sent`].join("\n"));
}
