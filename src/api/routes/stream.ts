import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Request, Response, Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { route } from "../route";
import { StreamBody, StreamHeaders, StreamQuery } from "../schemas/stream";
import { nextEvents, parseEventId, streamMessage, type StreamFilter, type StreamPosition } from "../services/stream";

/** Rows read per query; a full page is followed by another read at once (replay catches up quickly). */
const PAGE = 500;

/** Above every log index of a block (log_index is a 32-bit integer column in PostgreSQL). */
const AFTER_BLOCK = 2_147_483_647;

const DESCRIPTION = `Server-sent events (text/event-stream) of what happens to the loans the caller may see (auditors: all; lenders: their
lenders' loans; collectors: the loans assigned to them at the time each event is sent — the same rule as the loan list).

**Events** (the SSE \`event:\` field), each \`data:\` one JSON object
\`{ id, loanId, type, block, logIndex, timestamp, txHash, args }\` where \`type\` is the contract event, \`timestamp\` its block time
and \`args\` its decoded arguments (integers as decimal strings, addresses checksummed):
- \`reminder\` — ReminderTriggered; args \`{ loanId, installment, stage, offsetDays, dueDate, dpd }\`.
- \`status\` — a status change, with \`change\`: \`classification\` (ClassificationChanged, args \`{ loanId, from, to, dpd }\`,
  classifications 0 normal .. 4 loss), \`default\` (LoanDefaulted \`{ loanId, installment, dpd }\`), \`charge_off\` (LoanChargedOff),
  \`write_off\` (LoanWrittenOff; both \`{ loanId, outstandingPrincipal, outstandingInterest, penaltyOutstanding, dpd }\`), \`closed\`
  (LoanClosed \`{ loanId, closedAt }\`).
- \`action\` — ActionRecorded; args \`{ loanId, seq, collector, channel, kind, outcome, occurredAt, evidenceHash, flags, head }\`.
- \`repayment\` — LoanRepaid; args \`{ loanId, payer, amount, penalty, interest, principal, cursor, paidAt, bankRef, offChain, recovery }\`.
- \`ready\` — sent once on connect, without an id: \`{ asOf: { block, timestamp }, after: "<block>-<logIndex>" | null }\`.
- \`reorg\` — the indexer rolled back below events already sent: \`{ block }\`; the stream goes on from that block, so events
  re-indexed above it are sent again (possibly with other ids).

**Ids and resuming**: the SSE \`id\` is \`<block>-<logIndex>\` of the event (chain order). Reconnecting with the \`Last-Event-ID\`
header (EventSource does it by itself), or \`?lastEventId=\`, replays every visible event after it, then follows live — no gap and no
duplicate. Without either, the stream starts after the indexed block at connect. New rows are polled every ~500 ms; a comment line
(\`: keep-alive\`) is sent every 15 s when idle.`;

export function registerStreamRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db, logger } = services;
  const pollMs = services.options.streamPollMs ?? 500;
  const heartbeatMs = services.options.streamHeartbeatMs ?? 15_000;

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/stream",
      summary: "Live events: reminders, status changes, actions, repayments (server-sent events)",
      description: DESCRIPTION,
      tags: ["stream"],
      request: { query: StreamQuery, headers: StreamHeaders },
      responses: { 200: { description: "An event stream (text/event-stream) that stays open", schema: StreamBody, contentType: "text/event-stream" } },
    },
    async ({ query, headers }, req, res) => {
      const scope = scopeOf(req);
      const cursor = await db.selectFrom("cursor").select(["block_number", "block_timestamp"]).where("id", "=", 1).executeTakeFirst();
      const resumeFrom = headers["last-event-id"] ?? query.lastEventId;
      // Without a resume point: everything after the block indexed now.
      let position: StreamPosition = resumeFrom ? parseEventId(resumeFrom) : { block: cursor?.block_number ?? -1, logIndex: AFTER_BLOCK };
      const filter: StreamFilter = { scope, events: query.events, loanId: query.loanId };
      openStream(req, res);
      send(res, { event: "ready", data: { asOf: cursor ? { block: cursor.block_number, timestamp: cursor.block_timestamp } : null, after: resumeFrom ?? null } });

      let closed = false;
      let timer: NodeJS.Timeout | undefined;
      let lastWrite = Date.now();
      const stop = () => {
        closed = true;
        clearTimeout(timer);
      };
      req.on("close", stop);
      res.on("close", stop);
      res.on("error", stop);

      const pump = async () => {
        for (;;) {
          if (closed) return;
          const c = await db.selectFrom("cursor").select("block_number").where("id", "=", 1).executeTakeFirst();
          if (!c) return;
          if (c.block_number < position.block) {
            // A rollback removed blocks we already streamed from: go on from the fork point.
            position = { block: c.block_number, logIndex: AFTER_BLOCK };
            await write(res, { event: "reorg", data: { block: c.block_number } });
          }
          const rows = await nextEvents(db, filter, position, c.block_number, PAGE);
          for (const row of rows) {
            if (closed) return;
            await write(res, streamMessage(row));
            position = { block: row.block_number, logIndex: row.log_index };
            lastWrite = Date.now();
          }
          if (rows.length < PAGE) return;
        }
      };
      const tick = async () => {
        try {
          await pump();
          if (!closed && Date.now() - lastWrite >= heartbeatMs) {
            res.write(": keep-alive\n\n");
            lastWrite = Date.now();
          }
        } catch (err) {
          // A failed poll (database briefly unavailable) is retried at the next tick; the position is unchanged.
          if (!closed) logger.warn({ err: (err as Error).message }, "event stream poll failed");
        }
        if (!closed) timer = setTimeout(() => void tick(), pollMs);
      };
      void tick();
      return undefined;
    },
  );
}

function openStream(_req: Request, res: Response): void {
  res.status(200);
  res.setHeader("content-type", "text/event-stream; charset=utf-8");
  res.setHeader("cache-control", "no-cache, no-transform");
  res.setHeader("connection", "keep-alive");
  res.setHeader("x-accel-buffering", "no");
  res.flushHeaders();
  res.write("retry: 2000\n\n");
}

interface Message {
  id?: string;
  event: string;
  data: unknown;
}

function frame(m: Message): string {
  return `${m.id ? `id: ${m.id}\n` : ""}event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`;
}

function send(res: Response, m: Message): boolean {
  return res.write(frame(m));
}

/** Writes one message, waiting for the socket to drain when its buffer is full (a slow client slows only its own stream). */
async function write(res: Response, m: Message): Promise<void> {
  if (send(res, m) || res.writableEnded || res.destroyed) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
