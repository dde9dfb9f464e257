import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Response, Router } from "express";
import type { ApiServices } from "../context";
import type { AuthedRequest } from "../auth/middleware";
import { UnauthenticatedError } from "../services/errors";
import { Problem } from "../openapi";
import { route } from "../route";
import { StreamBody, StreamHeaders, StreamQuery } from "../schemas/stream";
import { parseEventId } from "../services/stream";
import { AFTER_BLOCK, createStreamHub, STREAM_DEFAULTS } from "../services/stream-hub";
import { sseFrame } from "../services/sse";

const DESCRIPTION = `Server-sent events (text/event-stream) of what happens to the loans the caller may see (auditors: all; lenders: their
lenders' loans; collectors: the loans assigned to them at the time each event is sent — the same rule as the loan list).

**Events** (the SSE \`event:\` field), each \`data:\` one JSON object
\`{ id, loanId, type, block, logIndex, timestamp, txHash, args }\` where \`type\` is the contract event, \`timestamp\` its block time
and \`args\` its decoded arguments (integers as decimal strings, addresses checksummed):
- \`reminder\` — ReminderTriggered; args \`{ loanId, installment, stage, offsetDays, dueDate, dpd }\`.
- \`status\` — a status change, with \`change\`: \`classification\` (ClassificationChanged, args \`{ loanId, from, to, dpd }\`,
  classifications 0 normal .. 4 loss), \`default\` (LoanDefaulted \`{ loanId, installment, dpd }\`), \`charge_off\` (LoanChargedOff),
  \`write_off\` (LoanWrittenOff; both \`{ loanId, outstandingPrincipal, outstandingInterest, penaltyOutstanding, dpd }\`), \`closed\`
  (LoanClosed \`{ loanId, closedAt }\`), \`settled\` (LoanSettled \`{ loanId, payer, amount, figures, paidAt, bankRef, offChain }\`),
  \`holiday\` (PaymentHolidayGranted \`{ loanId, version, from, to, terms, figures, schedule }\`), \`holiday_ended\` (PaymentHolidayEnded \`{ loanId, to }\`),
  \`arrears_plan\` (ArrearsPlanCreated \`{ loanId, createdAt, arrears, amountOverdue, penaltyOutstanding, parts }\`), \`arrears_part_kept\`
  (ArrearsPartKept) and \`arrears_plan_broken\` (ArrearsPlanBroken; both \`{ loanId, part, dueDate, required, paid }\`), and
  \`arrears_plan_completed\` (ArrearsPlanCompleted \`{ loanId, paid }\`).
- \`action\` — ActionRecorded; args \`{ loanId, seq, collector, channel, kind, outcome, occurredAt, evidenceHash, flags, head }\`.
- \`repayment\` — LoanRepaid; args \`{ loanId, payer, amount, penalty, interest, principal, cursor, paidAt, bankRef, offChain, recovery }\`.
- \`ready\` — sent once on connect, without an id: \`{ asOf: { block, timestamp }, after: "<block>-<logIndex>" | null }\`.
- \`reorg\` — the indexer rolled back below the stream's position: \`{ block }\` (the fork); the stream goes on from that block, so
  events re-indexed above it are sent again (possibly with other ids).
- \`end\` — the last message, without an id, before the server closes the stream: \`{ reason: "token_expired" }\` when the bearer
  token expires (the server's clock), \`{ reason: "token_revoked" }\` when the token was revoked (checked every ~${STREAM_DEFAULTS.authCheckMs / 1000} s). Reconnect with a new token
  (EventSource would reconnect with the old one by itself: close it on \`end\`).

**Access follows the chain while the stream is open**: the caller's scope is resolved again whenever the blocks just indexed hold a
role change (RoleGranted, RoleRevoked), a servicer delegation (ServicerSet) or a collector assignment (CollectorAssigned,
CollectorUnassigned) naming the caller, and after every reorg — so from the first poll that reads the change, a servicer its lender
revoked, a collector unassigned from a loan or an account whose role was revoked no longer receives those loans' events, and a caller
given access starts receiving them.

**Ids and resuming**: the SSE \`id\` is \`<block>-<logIndex>\` of the event (chain order). Reconnecting with the \`Last-Event-ID\`
header (EventSource does it by itself), or \`?lastEventId=\`, replays every visible event after it, then follows live — no gap and no
duplicate. Without either, the stream starts after the indexed block at connect.

**Limits**: at most ${STREAM_DEFAULTS.maxPerCaller} open streams per caller (STREAM_MAX_PER_CALLER) and ${STREAM_DEFAULTS.maxTotal} in all per API process
(STREAM_MAX_TOTAL) by default; a request over a cap gets 429 problem+json before the stream opens, \`cap\` naming the setting. A
closed stream frees its slot. One poll of the database (every ~${STREAM_DEFAULTS.pollMs} ms) serves every stream of the process; a client that
reads slower than events come catches up from the database on its own, and one that stops reading for 30 s is disconnected. A
comment line (\`: keep-alive\`) is sent every ${STREAM_DEFAULTS.heartbeatMs / 1000} s when idle.`;

/**
 * GET /v1/stream. The checks that can refuse (token, query, caps) all come before the stream
 * opens, so a refusal is an ordinary problem+json answer; after that the app's one hub serves it.
 */
export function registerStreamRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  const hub = services.streamHub ?? createStreamHub(services);

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
      responses: {
        200: { description: "An event stream (text/event-stream) that stays open", schema: StreamBody, contentType: "text/event-stream" },
        429: {
          description: "Rate limited (see Retry-After), or too many open streams: `cap` names the setting (STREAM_MAX_PER_CALLER or STREAM_MAX_TOTAL) and `limit` its value",
          schema: Problem,
          contentType: "application/problem+json",
        },
      },
    },
    async ({ query, headers }, req, res) => {
      const { claims, scope } = req as AuthedRequest;
      if (!claims || !scope) throw new UnauthenticatedError();
      const slot = hub.reserve(claims.sub); // 429 over a cap, before anything is sent
      res.once("close", slot.release);
      let cursor;
      try {
        cursor = await db.selectFrom("cursor").select(["block_number", "block_hash", "block_timestamp"]).where("id", "=", 1).executeTakeFirst();
      } catch (err) {
        slot.release();
        throw err;
      }
      const resumeFrom = headers["last-event-id"] ?? query.lastEventId;
      openStream(res);
      res.write(sseFrame({ event: "ready", data: { asOf: cursor ? { block: cursor.block_number, timestamp: cursor.block_timestamp } : null, after: resumeFrom ?? null } }));
      hub.join(slot, res, {
        claims,
        scope,
        selection: { events: query.events, loanId: query.loanId },
        // Without a resume point: everything after the block indexed now.
        from: resumeFrom ? parseEventId(resumeFrom) : { block: cursor?.block_number ?? -1, logIndex: AFTER_BLOCK },
        cursor: cursor ? { block: cursor.block_number, hash: cursor.block_hash } : null,
      });
      return undefined;
    },
  );
}

function openStream(res: Response): void {
  res.status(200);
  res.setHeader("content-type", "text/event-stream; charset=utf-8");
  res.setHeader("cache-control", "no-cache, no-transform");
  res.setHeader("connection", "keep-alive");
  res.setHeader("x-accel-buffering", "no");
  res.flushHeaders();
  res.write("retry: 2000\n\n");
}
