import { getAddress } from "viem";
import { z } from "../openapi";

export const Amount = z.string().regex(/^\d+$/).openapi({ description: "Decimal string in minor units", example: "1200000" });
export const Address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address")
  .transform((a) => getAddress(a))
  .openapi({ example: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });
export const AddressOut = z.string().openapi({ example: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });
export const Settlement = z.object({ token: AddressOut.nullable(), currency: z.string().nullable() }).openapi("Settlement");
export const Hash = z.string().regex(/^0x[0-9a-f]{64}$/);

export const LoanIdParam = z.object({
  loanId: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, "must be a positive integer loan id")
    .transform(Number)
    .openapi({ param: { name: "loanId", in: "path" }, example: "1" }),
});

export const AsOf = z
  .object({ block: z.number().int(), timestamp: z.number().int().openapi({ description: "Block timestamp (chain time, unix seconds)" }) })
  .openapi("AsOf", { description: "The indexed block every time-dependent figure is computed at" });

/** `{ items, nextCursor, asOf }`. */
export function listOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable(), asOf: AsOf }).openapi(name);
}

export const Limit = z.coerce.number().int().min(1).max(500).default(50).openapi({ description: "Page size (max 500)" });

/** Integer fields of a cursor: what the database columns hold (a wrong type or range is a 400, never a database error). */
export const CursorUint = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const CursorId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** A log index (a 32-bit column in PostgreSQL). */
export const CursorLogIndex = z.number().int().min(0).max(2_147_483_647);
/** An amount as the loans table indexes it: 40 zero-padded digits. */
export const CursorPaddedAmount = z.string().regex(/^\d{40}$/);

/** Opaque pagination cursors: base64url JSON. */
export function encodeCursor(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString("base64url");
}

export function cursorSchema<T extends z.ZodType>(shape: T) {
  return z
    .string()
    .max(512)
    .transform((s, ctx) => {
      try {
        const parsed = shape.safeParse(JSON.parse(Buffer.from(s, "base64url").toString("utf8")));
        if (parsed.success) return parsed.data as z.output<T>;
      } catch {
        // fall through
      }
      ctx.addIssue({ code: "custom", message: "not a cursor this endpoint issued" });
      return z.NEVER;
    })
    .openapi({ type: "string", description: "nextCursor of the previous page" });
}
