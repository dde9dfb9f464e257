/**
 * A local stand-in for the SMS provider (the shape documented in src/notify/channels/sms.ts), for
 * the demo (`npm start`: data/sms.log), the tests and the benchmark. A real HTTP server:
 *
 *  - POST /Messages with Basic auth, form or JSON fields To, From, Body, ClientReference,
 *    StatusCallback; answers 201 {"sid","status":"queued","client_reference"};
 *  - idempotent on ClientReference: the same reference gets the same sid (200) and is neither
 *    logged nor "sent" twice; the references already in sms.log are read back at start, so a
 *    restart keeps that promise;
 *  - appends one JSON line per message to `<dir>/sms.log`: time, to, body, reference, sid;
 *  - then posts a signed delivery receipt (channels/sms.ts's scheme) to StatusCallback, in the
 *    background, with a few tries.
 *
 * sms.log holds phone numbers: it is the provider's side of the exchange (what an SMS gateway
 * keeps about the messages it carries), written by this stand-in in the demo's data folder, not
 * Duetrail's records, which never hold a phone number in plain.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { NotifyError } from "../errors";
import { signReceipt } from "../channels/sms";

export interface SmsStandInOptions {
  /** Where sms.log is written (created if missing). */
  dir: string;
  /** Basic auth credentials the stand-in accepts (SMS_API_USER, SMS_API_TOKEN). */
  user: string;
  token: string;
  /** The key receipts are signed with (SMS_RECEIPT_SECRET). */
  receiptSecret: string;
  /** 0 (default): any free port. */
  port?: number;
  host?: string;
  /** The delivery outcome of a message (default: delivered). */
  outcome?: (m: { reference?: string; sid: string }) => { status: "delivered" } | { status: "undelivered" | "failed"; errorCode: string };
  /** Tries per receipt (default 4), the waits between them growing from 100 ms. */
  receiptTries?: number;
}

/** An answer the stand-in gives instead of accepting the next message. */
export interface SmsRefusal {
  status: number;
  code?: number;
  message?: string;
}

export interface SmsStandIn {
  /** The base URL to use as SMS_API_URL. */
  url: string;
  port: number;
  /** `<dir>/sms.log`. */
  logFile: string;
  /** Messages accepted (distinct references). */
  readonly accepted: number;
  /** Requests that repeated a reference already accepted. */
  readonly duplicates: number;
  /** Receipts the callback acknowledged with a 2xx. */
  readonly receiptsDelivered: number;
  /** Receipts given up after their tries. */
  readonly receiptsAbandoned: number;
  /** Resolves once `n` messages in all have been accepted; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  /** Resolves once `n` receipts have been acknowledged; rejects after `timeoutMs`. */
  waitForReceipts(n: number, timeoutMs?: number): Promise<void>;
  /** The next requests get these answers, one each, instead of being accepted. */
  failNext(...refusals: SmsRefusal[]): void;
  stop(): Promise<void>;
}

interface Counter {
  value: number;
  waiters: Set<{ n: number; resolve: () => void }>;
}

function bump(c: Counter): void {
  c.value++;
  for (const w of c.waiters) if (c.value >= w.n) (c.waiters.delete(w), w.resolve());
}

function waitOn(c: Counter, what: string, n: number, timeoutMs: number): Promise<void> {
  if (c.value >= n) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const w = { n, resolve: () => (clearTimeout(timer), resolve()) };
    const timer = setTimeout(() => {
      c.waiters.delete(w);
      reject(new NotifyError(`sms stand-in: ${c.value} of ${n} ${what} after ${timeoutMs} ms`));
    }, timeoutMs);
    c.waiters.add(w);
  });
}

/** The references and sids already in sms.log (lines cut by a crash are skipped). */
async function readLog(file: string): Promise<Map<string, string>> {
  const sids = new Map<string, string>();
  let text: string;
  try {
    text = await fs.promises.readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return sids;
    throw err;
  }
  for (const line of text.split("\n")) {
    try {
      const j = JSON.parse(line) as { reference?: string; sid?: string };
      if (j.reference && j.sid) sids.set(j.reference, j.sid);
    } catch {
      // an empty or cut line
    }
  }
  return sids;
}

const equal = (a: string, b: string) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

/** Starts the stand-in on loopback; `stop()` closes it and abandons receipts still being tried. */
export async function startSmsStandIn(options: SmsStandInOptions): Promise<SmsStandIn> {
  await fs.promises.mkdir(options.dir, { recursive: true });
  const logFile = path.join(options.dir, "sms.log");
  const sids = await readLog(logFile);
  const refusals: SmsRefusal[] = [];
  const accepted: Counter = { value: 0, waiters: new Set() };
  const receipts: Counter = { value: 0, waiters: new Set() };
  let duplicates = 0;
  let abandoned = 0;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  // One append stream: writes go out in order, whole lines, without opening the file per message.
  const log = fs.createWriteStream(logFile, { flags: "a" });
  log.on("error", () => undefined);
  const append = (line: string) => new Promise<void>((resolve, reject) => log.write(line, (err) => (err ? reject(err) : resolve())));

  async function postReceipt(callback: string, fields: Record<string, string>): Promise<void> {
    const body = new URLSearchParams(fields).toString();
    const tries = options.receiptTries ?? 4;
    for (let i = 0; i < tries && !stopping.signal.aborted; i++) {
      if (i > 0) await sleep(100 * 4 ** (i - 1), undefined, { signal: stopping.signal }).catch(() => undefined);
      try {
        // The provider's clock signs receipts (operational time).
        const signature = signReceipt(body, options.receiptSecret, Math.floor(Date.now() / 1000));
        const res = await fetch(callback, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", "x-duetrail-signature": signature },
          body,
          signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(5_000)]),
        });
        await res.arrayBuffer();
        if (res.ok) return bump(receipts);
      } catch {
        // unreachable: try again
      }
    }
    abandoned++;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://stand-in");
    if (req.method !== "POST" || !/\/Messages(\.json)?$/.test(url.pathname)) return reply(res, 404, { code: 20404, message: "The requested resource was not found" });
    const auth = /^Basic (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const [user, token] = auth ? Buffer.from(auth, "base64").toString("utf8").split(/:(.*)/s) : [];
    if (!user || token === undefined || !equal(user, options.user) || !equal(token, options.token)) return reply(res, 401, { code: 20003, message: "Authenticate" });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let fields: Record<string, string>;
    try {
      fields = /^application\/json\b/i.test(req.headers["content-type"] ?? "") ? (JSON.parse(raw) as Record<string, string>) : Object.fromEntries(new URLSearchParams(raw));
    } catch {
      return reply(res, 400, { code: 20001, message: "The body is not valid JSON" });
    }
    const refusal = refusals.shift();
    if (refusal) return reply(res, refusal.status, { code: refusal.code ?? refusal.status * 100, message: refusal.message ?? http.STATUS_CODES[refusal.status] ?? "refused" });
    const { To: to, From: from, Body: body, ClientReference: reference, StatusCallback: callback } = fields;
    if (!to) return reply(res, 400, { code: 21604, message: "A 'To' phone number is required." });
    // Like real providers, the refusal quotes the number: the channel must keep it out of its errors.
    if (!/^\+[1-9]\d{1,14}$/.test(to)) return reply(res, 400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.` });
    if (!from) return reply(res, 400, { code: 21603, message: "A 'From' phone number is required." });
    if (!body) return reply(res, 400, { code: 21602, message: "Message body is required." });
    if (callback !== undefined && !/^https?:\/\//.test(callback)) return reply(res, 400, { code: 21609, message: "Invalid StatusCallback URL" });

    const known = reference !== undefined ? sids.get(reference) : undefined;
    if (known) {
      duplicates++;
      return reply(res, 200, { sid: known, status: "queued", client_reference: reference });
    }
    const sid = `SM${crypto.randomBytes(16).toString("hex")}`;
    // Claimed before the await: a concurrent repeat of the reference gets this sid.
    if (reference !== undefined) sids.set(reference, sid);
    // The stand-in's receive time (server clock).
    try {
      await append(`${JSON.stringify({ time: new Date().toISOString(), to, body, reference, sid })}\n`);
    } catch (err) {
      if (reference !== undefined) sids.delete(reference);
      throw err;
    }
    bump(accepted);
    reply(res, 201, { sid, status: "queued", client_reference: reference });
    if (callback) {
      const outcome = options.outcome?.({ reference, sid }) ?? { status: "delivered" as const };
      const receipt: Record<string, string> = { MessageSid: sid, MessageStatus: outcome.status };
      if (reference !== undefined) receipt.ClientReference = reference;
      if ("errorCode" in outcome) receipt.ErrorCode = outcome.errorCode;
      const p = postReceipt(callback, receipt).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, { code: 50000, message: `stand-in error: ${(err as NodeJS.ErrnoException).code ?? "internal"}` });
    });
  });
  server.keepAliveTimeout = 30_000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}`,
    port,
    logFile,
    get accepted() {
      return accepted.value;
    },
    get duplicates() {
      return duplicates;
    },
    get receiptsDelivered() {
      return receipts.value;
    },
    get receiptsAbandoned() {
      return abandoned;
    },
    waitFor: (n, timeoutMs = 30_000) => waitOn(accepted, "messages accepted", n, timeoutMs),
    waitForReceipts: (n, timeoutMs = 30_000) => waitOn(receipts, "receipts acknowledged", n, timeoutMs),
    failNext(...r) {
      refusals.push(...r);
    },
    async stop() {
      stopping.abort();
      await Promise.allSettled([...inFlight]);
      await new Promise<void>((resolve) => log.end(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
