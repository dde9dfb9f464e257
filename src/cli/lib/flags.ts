/**
 * zod schemas for command-line flags. Their messages are the whole line to print:
 * `error: --loan must be a positive integer`.
 */
import { z } from "zod";
import { UsageError } from "./errors";

/** A command's flags checked against `shape`; the first problem, as its schema words it, is the UsageError. */
export function parseFlags<T extends z.ZodRawShape>(shape: T, raw: Record<string, unknown>): z.output<z.ZodObject<T>> {
  const parsed = z.object(shape).safeParse(raw);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  return parsed.data;
}

/** A loan id flag: a positive decimal integer below 2^256. */
export const loanIdFlag = (name: string) =>
  z
    .string({ error: `error: ${name} is required` })
    .regex(/^[1-9]\d{0,77}$/, `error: ${name} must be a positive integer`)
    .transform((s) => BigInt(s))
    .refine((v) => v < 1n << 256n, `error: ${name} must be below 2^256`);

/**
 * A field schema (whose messages say "must be ...", see fields.ts) used for a flag: its message
 * becomes `error: <name> must be ...`, or `error: <name> is required`.
 */
export function flag<T extends z.ZodType>(name: string, schema: T) {
  return z.unknown().transform((v, ctx) => {
    const r = schema.safeParse(v);
    if (r.success) return r.data as z.output<T>;
    ctx.addIssue({ code: "custom", message: v === undefined ? `error: ${name} is required` : `error: ${name} ${r.error.issues[0]!.message}` });
    return z.NEVER;
  });
}

/**
 * A list of loan ids: "1,2,5-9" (ranges inclusive), each a positive integer, at most `max` ids,
 * duplicates removed, in the order given.
 */
export const loanListFlag = (name: string, max = 10_000) =>
  z.string({ error: `error: ${name} is required` }).transform((s, ctx): bigint[] => {
    const ids: bigint[] = [];
    const seen = new Set<bigint>();
    for (const part of s.split(",").map((p) => p.trim())) {
      const m = /^([1-9]\d{0,77})(?:-([1-9]\d{0,77}))?$/.exec(part);
      const from = m ? BigInt(m[1]!) : 0n;
      const to = m?.[2] !== undefined ? BigInt(m[2]) : from;
      if (!m || to < from) {
        ctx.addIssue({ code: "custom", message: `error: ${name} must be loan ids and ranges like 1,2,5-9 (got "${part}")` });
        return z.NEVER;
      }
      if (to - from >= BigInt(max) || ids.length + Number(to - from + 1n) > max) {
        ctx.addIssue({ code: "custom", message: `error: ${name} lists more than ${max} loans` });
        return z.NEVER;
      }
      for (let id = from; id <= to; id++) {
        if (!seen.has(id)) ids.push(id);
        seen.add(id);
      }
    }
    return ids;
  });
