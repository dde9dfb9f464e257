/**
 * `duetrail borrowers`: the borrower contact directory (issue 15), off chain and encrypted at rest.
 *
 *   PII_KEY=k1:<base64> npm run cli -- borrowers import --file contacts.csv --lender 0x...
 *   PII_KEY=k2:<...> PII_KEY_PREVIOUS=k1:<...> npm run cli -- borrowers rekey
 *   npm run cli -- borrowers erase --ref 0x... --lender 0x...
 *
 * `import` validates every row first (`line N, field X: message` for all of them, exit 2, nothing
 * written), then upserts all rows in one transaction. `rekey` re-seals every row not under
 * PII_KEY's id, a batch per transaction. `erase` deletes a borrower's row (PIPL/GDPR erasure); it
 * needs no key, so an erasure is possible even when the key is lost.
 *
 * Nothing here prints contact data: outputs and messages name lenders, borrower refs, lines,
 * fields and key ids only.
 */
import type { Command } from "commander";
import { z } from "zod";
import { loadSettings, SETTINGS } from "../../config";
import { openDatabase } from "../../db/connect";
import { eraseContact, rekeyContacts, upsertContacts } from "../../db/contacts";
import { borrowerRef } from "../../pii/contact";
import { piiKeyring } from "../../pii/crypto";
import { parseContactFile } from "../lib/contact-file";
import { UsageError, action } from "../lib/errors";
import { address } from "../lib/fields";
import { flag } from "../lib/flags";
import { printJson, readTextFile } from "../lib/json";

const DB_OPTION = `${SETTINGS.databaseUrl.flag} <path|url>`;
const DB_HELP = `SQLite file or postgres:// URL (env ${SETTINGS.databaseUrl.env})`;
const KEY_HELP =
  "\nContact data is sealed with AES-256-GCM under PII_KEY=<key id>:<32-byte key, 64 hex digits or base64>\n" +
  "(environment only, or PII_KEY_FILE; e.g. PII_KEY=2026-12:$(openssl rand -base64 32)).\n";

function parse<T extends z.ZodType>(schema: T, raw: unknown): z.output<T> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new UsageError(r.error.issues[0]!.message);
  return r.data;
}

const importOptions = z.object({
  file: z.string({ error: "error: --file is required" }).min(1, "error: --file is required"),
  lender: flag("--lender", address({ nonZero: true })),
  db: z.string().optional(),
});

async function importContacts(raw: Record<string, unknown>): Promise<void> {
  const o = parse(importOptions, raw);
  const settings = loadSettings(["databaseUrl", "piiKey", "piiKeyPrevious"], { databaseUrl: o.db });
  const keyring = piiKeyring(settings);
  const { rows, problems } = parseContactFile(o.file, readTextFile(o.file));
  if (problems.length > 0) {
    const lines = problems.map((p) => `line ${p.line}, field ${p.field}: ${p.message}`);
    throw new UsageError([...lines, `error: ${problems.length} problem${problems.length === 1 ? "" : "s"} in ${o.file}; nothing was written`].join("\n"));
  }
  const database = await openDatabase(settings.databaseUrl);
  try {
    const result = await upsertContacts(database.db, keyring, o.lender, rows.map((r) => r.contact), Math.floor(Date.now() / 1000));
    printJson({ lender: o.lender, file: o.file, contacts: rows.length, ...result, keyId: keyring.current.id });
  } finally {
    await database.close();
  }
}

const rekeyOptions = z.object({
  batchSize: z
    .string()
    .regex(/^[1-9]\d{0,5}$/, "error: --batch-size must be an integer from 1 to 999999")
    .transform(Number),
  db: z.string().optional(),
});

async function rekey(raw: Record<string, unknown>): Promise<void> {
  const o = parse(rekeyOptions, raw);
  const settings = loadSettings(["databaseUrl", "piiKey", "piiKeyPrevious"], { databaseUrl: o.db });
  const keyring = piiKeyring(settings);
  const database = await openDatabase(settings.databaseUrl);
  try {
    const result = await rekeyContacts(database.db, keyring, {
      batchSize: o.batchSize,
      onBatch: (p) => process.stderr.write(`rekeyed ${p.rekeyed}, remaining ${p.remaining}\n`),
    });
    printJson({ keyId: keyring.current.id, ...result });
  } finally {
    await database.close();
  }
}

const eraseOptions = z.object({
  ref: flag("--ref", borrowerRef),
  lender: flag("--lender", address({ nonZero: true })),
  db: z.string().optional(),
});

async function erase(raw: Record<string, unknown>): Promise<void> {
  const o = parse(eraseOptions, raw);
  const settings = loadSettings(["databaseUrl"], { databaseUrl: o.db });
  const database = await openDatabase(settings.databaseUrl);
  try {
    const erased = await eraseContact(database.db, o.lender, o.ref);
    printJson({ lender: o.lender, borrowerRef: o.ref, erased });
  } finally {
    await database.close();
  }
}

/** Registers `borrowers` (import, rekey, erase) on the program. */
export function registerBorrowersCommand(program: Command): void {
  const borrowers = program.command("borrowers").description("lender: the borrower contact directory (off chain, encrypted at rest)");

  const imp = borrowers
    .command("import")
    .description("import borrowers' contact data from a JSON or CSV file, all or nothing (every row validated first)")
    .option("--file <path>", 'contacts file: .json (array, or {"contacts": [...]}) or .csv (header row)')
    .option("--lender <address>", "the lender whose borrowers these are")
    .option(DB_OPTION, DB_HELP)
    .showHelpAfterError(false)
    .addHelpText(
      "after",
      "\nRow fields: borrowerRef (0x + 32 bytes, the loan's), email, phone (E.164: +8613912345678), postalAddress,\n" +
        "language (zh-CN, en), timeZone (IANA: Asia/Shanghai), jurisdiction (CN, US-CA), consentSms, consentEmail,\n" +
        "consentLetter, consentWebhook (true/false; absent is false). A consent needs its contact point.\n" +
        KEY_HELP +
        "Exit status: 0 imported, 2 bad input or settings (nothing written).",
    );
  imp.action(action(imp, importContacts));

  const rk = borrowers
    .command("rekey")
    .description("re-encrypt every row not under PII_KEY's id (opening it with PII_KEY_PREVIOUS), a batch per transaction")
    .option("--batch-size <n>", "rows per transaction", "500")
    .option(DB_OPTION, DB_HELP)
    .showHelpAfterError(false)
    .addHelpText("after", KEY_HELP + "Rotation: set PII_KEY to the new key (a new id) and PII_KEY_PREVIOUS to the old one, run rekey, then drop PII_KEY_PREVIOUS.\n" + "Progress goes to stderr; the summary (JSON) to stdout. Exit status: 0 done, 1 a row does not open, 2 bad settings.");
  rk.action(action(rk, rekey));

  const er = borrowers
    .command("erase")
    .description("erase a borrower's contact data (PIPL/GDPR erasure): the row is deleted; hashes already in evidence stay")
    .option("--ref <borrowerRef>", "the borrower's ref (0x + 32 bytes)")
    .option("--lender <address>", "the lender whose record it is")
    .option(DB_OPTION, DB_HELP)
    .showHelpAfterError(false);
  er.action(action(er, erase));
}
