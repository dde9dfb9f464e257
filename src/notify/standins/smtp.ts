/**
 * A local SMTP server standing in for the mail relay in the demo (`npm start` writes received mail
 * to data/mail/), the tests and the benchmark: the `smtp-server` package, plain SMTP on loopback
 * (no STARTTLS: the email channel runs with SMTP_REQUIRE_TLS=false against it), each accepted
 * message written as it arrived (raw RFC 5322 bytes) to `<dir>/<timestamp>-<message id>.eml`.
 * Tests and benches wait on its counter (`waitFor(n)`) and can make it refuse the next messages
 * (`failNext`) to see a channel's retry classification against a real server.
 */
import fs from "node:fs";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerDataStream } from "smtp-server";
import { NotifyError } from "../errors";

export interface SmtpStandInOptions {
  /** Where received messages are written (created if missing). */
  dir: string;
  /** 0 (default): any free port. */
  port?: number;
  host?: string;
  /** Require AUTH PLAIN/LOGIN with these credentials (allowed over plain SMTP: loopback only). */
  auth?: { user: string; password: string };
}

/** A reply the stand-in gives instead of accepting, at RCPT TO (a recipient refused) or after DATA (the message refused). */
export interface SmtpRefusal {
  code: number;
  message: string;
  at?: "rcpt" | "data";
}

export interface SmtpStandIn {
  host: string;
  port: number;
  dir: string;
  /** Messages accepted and written so far. */
  readonly received: number;
  /** Paths of the written messages, in the order they were accepted. */
  readonly files: readonly string[];
  /** Resolves once `n` messages in all have been accepted; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  /** The next messages get these replies, one each, instead of being accepted. */
  failNext(...refusals: SmtpRefusal[]): void;
  stop(): Promise<void>;
}

/** A file-name-safe form of a Message-ID. */
const safeName = (id: string) => id.replace(/^<|>$/g, "").replace(/[^A-Za-z0-9._@-]/g, "_").slice(0, 200);

/** The Message-ID header of raw message bytes (unfolded), if any. */
function messageIdHeader(raw: Buffer): string | undefined {
  const end = raw.indexOf("\r\n\r\n");
  const head = raw.subarray(0, end < 0 ? raw.length : end).toString("latin1").replace(/\r\n[ \t]+/g, " ");
  return /^message-id:\s*(\S+)/im.exec(head)?.[1];
}

const refusal = (r: SmtpRefusal) => Object.assign(new NotifyError(r.message), { responseCode: r.code });

/** Starts the stand-in on loopback; `stop()` closes it. */
export async function startSmtpStandIn(options: SmtpStandInOptions): Promise<SmtpStandIn> {
  await fs.promises.mkdir(options.dir, { recursive: true });
  const files: string[] = [];
  const refusals: SmtpRefusal[] = [];
  const waiters = new Set<{ n: number; resolve: () => void }>();
  let seq = 0;

  const server = new SMTPServer({
    logger: false,
    disabledCommands: options.auth ? ["STARTTLS"] : ["STARTTLS", "AUTH"],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    size: 10 * 1024 * 1024,
    // At stop, clients still connected (an idle pooled connection) are cut after 2 s rather than the default 30 s.
    closeTimeout: 2_000,
    onAuth(auth, _session, callback) {
      const ok = options.auth && auth.username === options.auth.user && auth.password === options.auth.password;
      callback(ok ? null : refusal({ code: 535, message: "5.7.8 Authentication credentials invalid" }), ok ? { user: auth.username } : undefined);
    },
    onRcptTo(_address, _session, callback) {
      if (refusals[0]?.at === "rcpt") return callback(refusal(refusals.shift()!));
      callback();
    },
    onData(stream: SMTPServerDataStream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        if (refusals.length > 0 && refusals[0]!.at !== "rcpt") return callback(refusal(refusals.shift()!));
        const raw = Buffer.concat(chunks);
        const id = messageIdHeader(raw) ?? `no-id-${++seq}`;
        // Stand-in receive time (server clock): an operational stamp that sorts the folder in arrival order.
        const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(".", "");
        const file = path.join(options.dir, `${stamp}-${safeName(id)}.eml`);
        fs.promises.writeFile(file, raw).then(
          () => {
            files.push(file);
            for (const w of waiters) if (files.length >= w.n) (waiters.delete(w), w.resolve());
            callback(null, `2.0.0 queued as ${safeName(id)}`);
          },
          (err: unknown) => callback(refusal({ code: 451, message: `4.3.0 cannot store the message: ${(err as NodeJS.ErrnoException).code ?? "error"}` })),
        );
      });
    },
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Errors of single client connections (a client that hangs up) are not the stand-in's.
  server.on("error", () => undefined);
  const port = (server.server.address() as AddressInfo).port;

  return {
    host,
    port,
    dir: options.dir,
    get received() {
      return files.length;
    },
    get files() {
      return files;
    },
    waitFor(n, timeoutMs = 30_000) {
      if (files.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { n, resolve: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new NotifyError(`smtp stand-in: ${files.length} of ${n} messages received after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    failNext(...r) {
      refusals.push(...r);
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
