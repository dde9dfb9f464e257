/**
 * The letter channel: a rendered letter (a PDF, the lawyer's demand letter included) is stored in
 * the evidence store under its SHA-256 (the evidence hash that goes on chain) and put into the
 * print pack of LETTERS_DIR for printing and posting:
 *
 *     <noticeId>.pdf            the letter, the same bytes as the evidence
 *     <noticeId>.address.pdf    the address sheet (personal data: made only for printing, readable
 *                               by the owner only, never in the evidence store)
 *     letters.jsonl             one line per letter for the print run: noticeId, loanId, lender,
 *                               template, evidenceHash, file, createdAt — no address
 *
 * Every write is a temporary file, fsynced, renamed into place, and the listing is fsynced after
 * each line, so a letter reported as delivered ("stored for posting") survives a crash. A repeated
 * send of a notice (the dispatcher killed after the write, before its record) rewrites the same
 * files and does not list the letter twice.
 *
 * Left for later: a tracking number attached once the letter is posted (`attachTracking(noticeId,
 * trackingNumber)`) belongs with the notice's row; the print pack could take a
 * `<noticeId>.tracking` line in letters.jsonl if the print shop wants it there.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ConfigError, type Config } from "../../config";
import { isRetryable } from "../../errors";
import { storeArtifact } from "../../evidence/store";
import { ChannelSendError } from "../errors";
import type { ChannelAdapter, OutgoingMessage, SendResult } from "../types";
import { redactContact } from "./redact";

/** The settings the letter channel reads (`loadSettings(LETTER_SETTINGS)`). */
export const LETTER_SETTINGS = ["evidenceDir", "lettersDir"] as const satisfies readonly (keyof Config)[];

export type LetterChannelSettings = Pick<Config, (typeof LETTER_SETTINGS)[number]>;

/** What the address sheet is made for, besides the address. */
export interface AddressSheetContext {
  noticeId: string;
  loanId: bigint;
  lender: string;
  language: string;
}

/** Renders the sheet that carries the postal address (src/notify/templates owns the layout). */
export type AddressSheetRenderer = (postalAddress: string, context: AddressSheetContext) => Uint8Array | Promise<Uint8Array>;

export interface LetterChannelOptions {
  renderAddressSheet: AddressSheetRenderer;
  /** The listing's createdAt: when the print pack was written (server clock by default; pass chain time if the print run should show it). */
  now?: () => Date;
}

/** One line of letters.jsonl. */
export interface LetterListing {
  noticeId: string;
  loanId: string;
  lender: string;
  template: string;
  /** 0x SHA-256 of the letter (the evidence store's name of it). */
  evidenceHash: string;
  /** The letter's file in the print pack. */
  file: string;
  createdAt: string;
}

export const LETTERS_LISTING = "letters.jsonl";

/** Notice ids become file names: nothing but letters, digits, - and _. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,100}$/;

async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.promises.open(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `bytes` to `file` through a temporary file, fsynced and renamed (the folder is fsynced by the caller). */
async function writeDurably(file: string, bytes: Uint8Array, mode: number): Promise<void> {
  const tmp = path.join(path.dirname(file), `.tmp-${crypto.randomBytes(8).toString("hex")}`);
  const h = await fs.promises.open(tmp, "wx", mode);
  try {
    await h.writeFile(bytes);
    await h.sync();
    await h.close();
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await h.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * The letter channel: evidence under EVIDENCE_DIR, print pack under LETTERS_DIR. Sends of one
 * channel object are listed one at a time; one process should own a letters folder.
 */
export function createLetterChannel(settings: LetterChannelSettings, options: LetterChannelOptions): ChannelAdapter {
  if (typeof options?.renderAddressSheet !== "function") throw new ConfigError("the letter channel needs renderAddressSheet (the address sheet's template)");
  const dir = settings.lettersDir;
  const listingFile = path.join(dir, LETTERS_LISTING);
  const now = options.now ?? (() => new Date());
  // The notice ids already listed, read once from letters.jsonl (a restart after a crash reads them again).
  let listed: Promise<Set<string>> | undefined;
  // The listing is appended one letter at a time, so a check and its append are not interleaved with another's.
  let listing: Promise<unknown> = Promise.resolve();

  async function readListed(): Promise<Set<string>> {
    const ids = new Set<string>();
    let text: string;
    try {
      text = await fs.promises.readFile(listingFile, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return ids;
      throw err;
    }
    for (const line of text.split("\n")) {
      try {
        const j = JSON.parse(line) as { noticeId?: unknown };
        if (typeof j.noticeId === "string") ids.add(j.noticeId);
      } catch {
        // a line cut by a crash: that letter is listed again by its retry
      }
    }
    return ids;
  }

  async function list(entry: LetterListing): Promise<void> {
    listed ??= readListed().catch((err: unknown) => {
      listed = undefined;
      throw err;
    });
    const ids = await listed;
    if (ids.has(entry.noticeId)) return;
    const h = await fs.promises.open(listingFile, "a+", 0o640);
    try {
      const { size } = await h.stat();
      // After a crash mid-line the file may not end with a newline: start this line on its own.
      let lead = "";
      if (size > 0) {
        const last = Buffer.alloc(1);
        await h.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) lead = "\n";
      }
      await h.appendFile(`${lead}${JSON.stringify(entry)}\n`);
      await h.sync();
    } finally {
      await h.close();
    }
    ids.add(entry.noticeId);
  }

  return {
    channel: "letter",
    async send(message: OutgoingMessage): Promise<SendResult> {
      if (!SAFE_ID.test(message.id)) throw new ChannelSendError("letter", `notice id ${JSON.stringify(message.id.slice(0, 100))} cannot name a file (letters, digits, - and _ only)`);
      const address = message.to.postalAddress;
      if (!address) throw new ChannelSendError("letter", `notice ${message.id}: the borrower has no postal address`);
      let sheet: Uint8Array;
      try {
        sheet = await options.renderAddressSheet(address, { noticeId: message.id, loanId: message.loanId, lender: message.lender, language: message.rendered.language });
      } catch (err) {
        // The renderer's message may quote the address it could not lay out.
        throw new ChannelSendError("letter", `notice ${message.id}: the address sheet does not render: ${redactContact((err as Error)?.message ?? String(err), message.to)}`, {
          retryable: isRetryable(err),
        });
      }
      try {
        const hex = await storeArtifact(settings.evidenceDir, message.rendered.bytes);
        await fs.promises.mkdir(dir, { recursive: true });
        const file = `${message.id}.pdf`;
        await writeDurably(path.join(dir, file), message.rendered.bytes, 0o640);
        await writeDurably(path.join(dir, `${message.id}.address.pdf`), sheet, 0o600);
        await fsyncDir(dir);
        const entry: LetterListing = {
          noticeId: message.id,
          loanId: message.loanId.toString(),
          lender: message.lender,
          template: message.rendered.template,
          evidenceHash: `0x${hex}`,
          file,
          createdAt: now().toISOString(),
        };
        const done = listing.then(() => list(entry));
        listing = done.catch(() => undefined);
        await done;
      } catch (err) {
        if (err instanceof ChannelSendError) throw err;
        // A full disk or a permission fixed by the operator lets the same letter through later.
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name ?? "error";
        throw new ChannelSendError("letter", `notice ${message.id}: cannot store the letter: ${code}`, { retryable: true });
      }
      // Stored for printing and posting: as far as Duetrail delivers a letter.
      return { delivered: true };
    },
  };
}
