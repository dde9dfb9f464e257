/**
 * Shared pieces of the channel tests: a borrower's contact points distinctive enough to be found
 * in any text, an outgoing message, a closed port, and a small HTTP receiver that keeps each
 * request's raw bytes.
 */
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { noticeId } from "../../../src/notify/ids";
import type { NoticeChannel, OutgoingMessage, RenderedNotice } from "../../../src/notify/types";
import type { ContactPoints } from "../../../src/pii/contact";

export const CONTACT: Required<ContactPoints> = {
  email: "wang.fang.7731@example.cn",
  phone: "+8613912345678",
  postalAddress: "Wang Fang\nRoom 1203, Building 7, Lane 88 Xinhua Road\nShanghai 200052\nChina",
};

/** Every form of the contact points that must never appear in a message. */
export const CONTACT_NEEDLES = [CONTACT.email, CONTACT.phone, CONTACT.phone.slice(1), ...CONTACT.postalAddress.split("\n").filter((l) => l.length >= 8)];

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `duetrail-${prefix}-`));
}

let seq = 0;

/** A rendered notice of `channel` (the bytes as types.ts describes them per channel). */
export function rendered(channel: NoticeChannel, over: Partial<RenderedNotice> = {}): RenderedNotice {
  const subject = "Payment reminder: loan 42, 1,250.00 USDC due 2025-03-01";
  const text = "Dear borrower, instalment 3 of loan 42 (1,250.00 USDC) is due on 1 March 2025.\nReference: DT-42.";
  const base: Record<NoticeChannel, RenderedNotice> = {
    email: { template: "reminder", templateVersion: 1, language: "en", contentType: "text/plain; charset=utf-8", bytes: Buffer.from(`Subject: ${subject}\n\n${text}`), subject, text },
    sms: { template: "reminder", templateVersion: 1, language: "en", contentType: "text/plain; charset=utf-8", bytes: Buffer.from(text), text },
    letter: { template: "demand", templateVersion: 2, language: "en", contentType: "application/pdf", bytes: Buffer.from(`%PDF-1.7\n% letter ${++seq}\n%%EOF\n`), subject: "Demand letter" },
    webhook: { template: "reminder", templateVersion: 1, language: "en", contentType: "application/json", bytes: Buffer.from(JSON.stringify({ type: "notice.reminder", loanId: "42", amount: "1250000000", n: ++seq })) },
  };
  return { ...base[channel], ...over };
}

/** An outgoing message of `channel` with a fresh notice id. */
export function outgoing(channel: NoticeChannel, over: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    id: noticeId(`test:${process.pid}:${++seq}:${Math.random()}`, channel),
    channel,
    loanId: 42n,
    lender: "0x00000000000000000000000000000000000000aa",
    borrowerRef: `0x${"01".repeat(32)}`,
    rendered: rendered(channel),
    to: { ...CONTACT },
    ...over,
  };
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Receiver {
  url: string;
  requests: Received[];
  close(): Promise<void>;
}

/** An HTTP server that keeps every request's raw body and answers with `answer(request)` (status, default 200). */
export async function startReceiver(answer: (r: Received) => number | Promise<number> = () => 200): Promise<Receiver> {
  const requests: Received[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const r: Received = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(r);
    let status = 500;
    try {
      status = await answer(r);
    } catch {
      status = 400;
    }
    res.writeHead(status, status >= 300 && status < 400 ? { location: "/elsewhere" } : {}).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The error `p` rejects with (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection, got a result");
}
