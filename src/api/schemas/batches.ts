import { z } from "../openapi";
import { Address, AddressOut } from "./common";
import { Bytes32In, ChannelIn, ChannelOut, KindIn, KindOut } from "./collection";

const MAX_UINT64 = (1n << 64n) - 1n;

/** A uint64 as a JSON number or a decimal string; parsed to bigint. */
const Uint64 = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,20}$/, "must be a decimal integer")])
  .transform((v) => BigInt(v))
  .refine((v) => v <= MAX_UINT64, "must fit in uint64")
  .openapi({ type: "string", description: "uint64, decimal string or number" });

const LoanIdIn = z
  .union([z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[1-9]\d{0,15}$/, "must be a positive loan id").transform(Number).pipe(z.number().max(Number.MAX_SAFE_INTEGER))])
  .openapi({ type: "string", description: "Loan id" });

export const BatchActionIn = z
  .object({
    loanId: LoanIdIn,
    seq: Uint64,
    collector: Address,
    channel: ChannelIn,
    kind: KindIn,
    outcome: z.number().int().min(0).max(65_535),
    occurredAt: Uint64,
    evidenceHash: Bytes32In,
  })
  .strict()
  .openapi("BatchActionInput");

/** Leaves per upload: bounded so one request cannot hold the server for long (JSON body up to 8 MB). */
export const MAX_BATCH_LEAVES = 10_000;

export const BatchBody = z
  .object({
    batchId: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    actions: z.array(BatchActionIn).min(1).max(MAX_BATCH_LEAVES).openapi({ description: "Every leaf of the batch, in the order the tree was built from" }),
  })
  .strict()
  .openapi("BatchUpload");
export type BatchBody = z.infer<typeof BatchBody>;

export const BatchStored = z
  .object({
    batchId: z.number().int(),
    merkleRoot: z.string(),
    count: z.number().int(),
    stored: z.boolean().openapi({ description: "false when these leaves were already stored" }),
    anchor: z.object({ block: z.number().int(), txHash: z.string(), submitter: AddressOut, uri: z.string() }),
  })
  .openapi("BatchStored");

export const BatchLeafOut = z
  .object({
    index: z.number().int(),
    seq: z.string(),
    collector: AddressOut,
    channel: ChannelOut,
    kind: KindOut,
    outcome: z.number().int(),
    occurredAt: z.string(),
    evidenceHash: z.string(),
    leafHash: z.string(),
    proof: z.array(z.string()),
    verified: z.boolean().openapi({ description: "The proof checks against the anchored root (recomputed on read)" }),
  })
  .openapi("BatchLeaf");
