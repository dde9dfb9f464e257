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
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description: "Same key and same request: the same response, no second transaction (kept 24 h in the database, per caller, across restarts)",
    }),
});

export const RelayedAction = z
  .object({
    mode: z.literal("relayed"),
    status: z.enum(["included", "pending"]).openapi({ description: "included: in a block (201); pending: sent, not yet included (202; poll GET /v1/relays/{txHash})" }),
    txHash: z.string(),
    blockNumber: z.number().int().nullable(),
  })
  .openapi("RelayedAction");

export const TxHashParam = z.object({
  txHash: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte transaction hash")
    .transform((h) => h.toLowerCase())
    .openapi({ param: { name: "txHash", in: "path" }, example: `0x${"ab".repeat(32)}` }),
});

export const RelayStatusOut = z
  .object({
    txHash: z.string(),
    status: z.enum(["pending", "included", "reverted", "dropped"]),
    loanId: z.string(),
    nonce: z.number().int().openapi({ description: "The relayer's transaction nonce" }),
    blockNumber: z.number().int().nullable(),
    requestedAt: z.number().int().openapi({ description: "When the relay was asked for (server clock, unix seconds)" }),
  })
  .openapi("RelayStatus");
export const UnsignedAction = z
  .object({
    mode: z.literal("unsigned"),
    transaction: z.object({ to: z.string(), data: z.string(), chainId: z.number().int(), from: z.string().optional() }),
  })
  .openapi("UnsignedAction");
