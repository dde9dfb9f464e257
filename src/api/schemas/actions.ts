import { z } from "../openapi";
import { Bytes32In, ChannelIn, KindIn, UnixSeconds } from "./collection";

const actionFields = {
  channel: ChannelIn,
  kind: KindIn,
  outcome: z.number().int().min(0).max(65_535).openapi({ description: "uint16 outcome code of the lender's own taxonomy" }),
  occurredAt: UnixSeconds.openapi({ description: "When the contact happened (unix seconds, chain time); the contract refuses the future and anything older than the policy's action window" }),
  evidenceHash: Bytes32In.openapi({ description: "0x SHA-256 of the artifact (upload it with POST /v1/evidence)" }),
};

/** A uint256 as a decimal string (or a safe JSON number); parsed to bigint. */
const Uint256 = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,78}$/, "must be a decimal integer")])
  .transform((v) => BigInt(v))
  .refine((v) => v < 1n << 256n, "must fit in uint256")
  .openapi({ type: "string", description: "uint256, decimal string" });

export const ActionBody = z
  .object({
    ...actionFields,
    signature: z
      .string()
      .regex(/^0x[0-9a-fA-F]{2,4096}$/, "must be 0x-prefixed hex")
      .transform((s) => s.toLowerCase() as `0x${string}`)
      .optional()
      .openapi({ description: "Relayed mode: the collector's EIP-712 signature of the RecordAction typed data (POST .../actions/typed-data), with its `deadline` and `nonce`" }),
    deadline: Uint256.optional().openapi({ description: "The deadline the collector signed (unix seconds, chain time)" }),
    nonce: Uint256.optional().openapi({ description: "The collector's CollectionLog nonce the signature is for" }),
  })
  .strict()
  .superRefine((b, ctx) => {
    const given = [b.signature, b.deadline, b.nonce].filter((v) => v !== undefined).length;
    if (given !== 0 && given !== 3) {
      for (const k of ["signature", "deadline", "nonce"] as const) {
        if (b[k] === undefined) ctx.addIssue({ code: "custom", path: [k], message: "signature, deadline and nonce go together" });
      }
    }
  })
  .openapi("ActionInput");
export type ActionBody = z.infer<typeof ActionBody>;

export const TypedDataBody = z
  .object({
    ...actionFields,
    deadline: Uint256.optional().openapi({ description: "Last block time the signature is accepted at (default: the chain's time + 1 hour)" }),
  })
  .strict()
  .openapi("ActionTypedDataInput");

const TypedField = z.object({ name: z.string(), type: z.string() });
export const ActionTypedData = z
  .object({
    typedData: z
      .object({
        domain: z.object({ name: z.string(), version: z.string(), chainId: z.number().int(), verifyingContract: z.string() }),
        types: z.record(z.string(), z.array(TypedField)),
        primaryType: z.literal("RecordAction"),
        message: z.record(z.string(), z.union([z.string(), z.number()])),
      })
      .openapi({ description: "EIP-712 typed data for eth_signTypedData_v4 (integers as decimal strings)" }),
    nonce: z.string(),
    deadline: z.string(),
    collector: z.string(),
  })
  .openapi("ActionTypedData");

export const ActionQuery = z
  .object({
    mode: z
      .enum(["relayed", "unsigned"])
      .default("relayed")
      .openapi({ description: "relayed (default): the API submits the collector's signed action with its relayer key; unsigned: the transaction for the collector's own wallet" }),
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
