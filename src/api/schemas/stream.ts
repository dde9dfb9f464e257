import { z } from "../openapi";
import { EVENT_ID, STREAM_EVENT_NAMES, type StreamEventName } from "../services/stream";

const EventId = z.string().regex(EVENT_ID, 'must be an event id "<block>-<logIndex>"');

export const StreamQuery = z
  .object({
    lastEventId: EventId.optional().openapi({ description: "Resume after this event (for clients that cannot set Last-Event-ID); the header wins", example: "1234-5" }),
    events: z
      .string()
      .max(200)
      .transform((s, ctx) => {
        const names = s.split(",").map((n) => n.trim());
        const bad = names.filter((n) => !(STREAM_EVENT_NAMES as readonly string[]).includes(n));
        if (bad.length) {
          ctx.addIssue({ code: "custom", message: `unknown event names: ${bad.join(", ")} (expected ${STREAM_EVENT_NAMES.join(", ")})` });
          return z.NEVER;
        }
        return [...new Set(names)] as StreamEventName[];
      })
      .optional()
      .openapi({ type: "string", description: `Comma-separated event names to receive (default all): ${STREAM_EVENT_NAMES.join(", ")}`, example: "status,repayment" }),
    loanId: z
      .string()
      .regex(/^[1-9]\d{0,14}$/, "must be a positive integer loan id")
      .transform(Number)
      .optional()
      .openapi({ type: "string", description: "Only this loan's events" }),
  })
  .strict();

export const StreamHeaders = z.object({
  "last-event-id": EventId.optional().openapi({ description: "Sent by EventSource on reconnect: resume after this event" }),
});

export const StreamBody = z.string().openapi({
  description: "`text/event-stream`: `id: <block>-<logIndex>`, `event: reminder|status|action|repayment`, `data: <JSON>` per message (see the operation description)",
  example: 'id: 120-3\nevent: status\ndata: {"id":"120-3","loanId":"7","type":"LoanDefaulted","change":"default","block":120,"logIndex":3,"timestamp":1767225600,"txHash":"0x…","args":{"loanId":"7","installment":0,"dpd":91}}\n\n',
});
