/**
 * A file of borrower contacts to import, JSON or CSV, validated row by row before anything is
 * written: every problem is kept as `line N, field X: message` (like `loans register`). Messages
 * say what a value must be and never quote it: a contact file is personal data.
 *
 * Row fields (src/pii/contact.ts): borrowerRef, email, phone (E.164), postalAddress, language,
 * timeZone (IANA), jurisdiction, consentSms, consentEmail, consentLetter, consentWebhook.
 */
import { contactRowSchema, toContact, type BorrowerContact } from "../../pii/contact";
import { UsageError } from "./errors";
import { fieldName, type JsonPath } from "./json";
import { readRowFile, type RowProblem } from "./row-file";

/** A valid row: where it was and its record. */
export interface ContactRow {
  line: number;
  contact: BorrowerContact;
}

const CSV_COLUMNS = Object.keys(contactRowSchema.shape);

/**
 * Reads and validates a contacts file (.json or .csv by extension); a borrowerRef given twice is a
 * problem on its second line.
 * @returns the valid rows and every problem found (rows with problems are not returned).
 * @throws UsageError when the file cannot be read as JSON/CSV at all, or has no rows.
 */
export function parseContactFile(file: string, text: string): { rows: ContactRow[]; problems: RowProblem[] } {
  const raws = readRowFile(file, text, { listKey: "contacts", columns: CSV_COLUMNS });
  if (raws.rows.length === 0 && raws.problems.length === 0) throw new UsageError(`error: ${file} has no contacts`);
  const rows: ContactRow[] = [];
  const problems = [...raws.problems];
  const seen = new Map<string, number>();
  for (const raw of raws.rows) {
    const parsed = contactRowSchema.safeParse(raw.value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        if (issue.code === "unrecognized_keys") {
          for (const key of issue.keys) problems.push({ line: raw.lineOf([key]), field: key, message: "is not a contact field" });
        } else {
          const p = issue.path as JsonPath;
          // zod's own type messages ("expected string, received number") quote no value either.
          problems.push({ line: raw.lineOf(p), field: fieldName(p) || "(row)", message: issue.message });
        }
      }
      continue;
    }
    const { contact, problems: cross } = toContact(parsed.data);
    for (const p of cross) problems.push({ ...p, line: raw.lineOf([p.field]) });
    const first = seen.get(contact.borrowerRef);
    if (first !== undefined) {
      problems.push({ line: raw.lineOf(["borrowerRef"]), field: "borrowerRef", message: `repeats the borrowerRef of line ${first}` });
      continue;
    }
    seen.set(contact.borrowerRef, raw.lineOf(["borrowerRef"]));
    if (cross.length === 0) rows.push({ line: raw.lineOf([]), contact });
  }
  problems.sort((a, b) => a.line - b.line);
  return { rows, problems };
}
