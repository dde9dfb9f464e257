/**
 * POST /v1/notify/sms-receipts: the SMS provider's delivery receipts (the StatusCallback of
 * src/notify/channels/sms.ts). No bearer token — the provider has none — but every receipt must
 * carry a valid signature of its exact bytes under SMS_RECEIPT_SECRET within the timestamp
 * tolerance; anything else is 401 and changes nothing. A receipt settles its notice once (a repeat
 * is answered 200 and ignored), at the chain time of the indexed tip.
 */
import express, { type Router } from "express";
import type { ApiServices } from "../context";
import { Problem, z, type createRegistry } from "../openapi";
import { PROBLEM_JSON } from "../errors";
import { route } from "../route";
import { asOf } from "../services/loans";
import { UnauthenticatedError, UnavailableError } from "../services/errors";
import { verifyReceipt } from "../../notify/channels/sms";
import { ReceiptError } from "../../notify/errors";
import { applyReceipt } from "../../notify/receipts";

const ReceiptAnswer = z.object({ applied: z.boolean().openapi({ description: "false when the receipt was a progress report, or its notice was already settled or is unknown" }) }).openapi("SmsReceiptAnswer");

export function registerSmsReceiptRoutes(router: Router, registry: ReturnType<typeof createRegistry>, services: ApiServices): void {
  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/notify/sms-receipts",
      summary: "An SMS delivery receipt from the provider (signed)",
      description:
        "Header X-Duetrail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of `<t>.<raw body>` under SMS_RECEIPT_SECRET>. 401 when the signature, key or timestamp is wrong; 503 when receipts are not configured.",
      tags: ["notices"],
      auth: false,
      request: {},
      rawBody: { description: "The provider's receipt: form-encoded or JSON (MessageSid, ClientReference, MessageStatus, ErrorCode), at most 16 kB" },
      before: [express.raw({ type: () => true, limit: "16kb" })],
      responses: {
        200: { description: "Receipt accepted", schema: ReceiptAnswer },
        401: { description: "Unsigned, or the signature, key or timestamp is wrong", schema: Problem, contentType: PROBLEM_JSON },
        413: { description: "Receipt body over 16 kB", schema: Problem, contentType: PROBLEM_JSON },
        429: { description: "Rate limited (see Retry-After)", schema: Problem, contentType: PROBLEM_JSON },
        503: { description: "SMS receipts are not configured (SMS_RECEIPT_SECRET)", schema: Problem, contentType: PROBLEM_JSON },
      },
    },
    async (_input, req) => {
      const secret = services.options.smsReceiptSecret;
      if (!secret) throw new UnavailableError("SMS receipts are not configured (SMS_RECEIPT_SECRET)");
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let receipt;
      try {
        receipt = verifyReceipt(body, req.headers, secret, services.now(), services.options.smsReceiptToleranceSec ?? 300);
      } catch (err) {
        if (err instanceof ReceiptError) throw new UnauthenticatedError(err.shortMessage);
        throw err;
      }
      if (receipt.status === "sent") return { applied: false };
      const at = await asOf(services.db);
      return { applied: await applyReceipt(services.db, { ...receipt, status: receipt.status }, BigInt(at.timestamp)) };
    },
  );
}
