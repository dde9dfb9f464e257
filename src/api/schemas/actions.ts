import { z } from "../openapi";
import { Bytes32In, ChannelIn, KindIn, UnixSeconds } from "./collection";

export const ActionBody = z
  .object({
    channel: ChannelIn,
    kind: KindIn,
    outcome: z.number().int().min(0).max(65_535).openapi({ description: "uint16 outcome code of the lender's own taxonomy" }),
    occurredAt: UnixSeconds.openapi({ description: "When the contact happened (unix seconds, chain time); the contract refuses the future and anything older than the policy's action window" }),
    evidenceHash: Bytes32In.openapi({ description: "0x SHA-256 of the artifact (upload it with POST /v1/evidence)" }),
  })
  .strict()
  .openapi("ActionInput");
export type ActionBody = z.infer<typeof ActionBody>;

export const ActionQuery = z
  .object({
    mode: z.enum(["relayed", "unsigned"]).default("relayed").openapi({ description: "relayed (default): the API sends it with its relayer key; unsigned: the transaction for the collector's own wallet" }),
  })
  .strict();

export const ActionHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, "1 to 128 visible ASCII characters")
    .optional()
    .openapi({ param: { name: "idempotency-key", in: "header" }, description: "Same key and same request: the same response, no second transaction (remembered 24 h in the serving process)" }),
});

export const RelayedAction = z.object({ txHash: z.string(), mode: z.literal("relayed") }).openapi("RelayedAction");
export const UnsignedAction = z
  .object({
    mode: z.literal("unsigned"),
    transaction: z.object({ to: z.string(), data: z.string(), chainId: z.number().int(), from: z.string().optional() }),
  })
  .openapi("UnsignedAction");
