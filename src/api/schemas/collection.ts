import { z } from "../openapi";
import { ComplianceFlag, MAX_CHANNEL, MAX_KIND, type ComplianceFlagName } from "../../domain";

/** ICollectionLog.Channel names in API spelling, index = channel number. */
export const CHANNEL_NAMES = ["call", "sms", "email", "letter", "lawyer_letter", "visit", "app_push", "other"] as const;
/** ICollectionLog.Kind names in API spelling, index = kind number. */
export const KIND_NAMES = ["contact_attempt", "contact_made", "promise_to_pay", "dispute", "plan_offer", "legal_notice", "note"] as const;
/** Compliance flag names (src/domain ComplianceFlag keys), lowest bit first. */
export const FLAG_NAMES = Object.keys(ComplianceFlag) as [ComplianceFlagName, ...ComplianceFlagName[]];

/** A number in [0, max] or one of `names`; parses to the number. Accepts "3" from query strings. */
function enumeration(names: readonly [string, ...string[]], max: number, what: string) {
  return z
    .union([z.number().int().min(0).max(max), z.string().regex(/^\d{1,3}$/).transform(Number).pipe(z.number().int().min(0).max(max)), z.enum(names).transform((n) => names.indexOf(n))])
    .openapi({ description: `${what}: 0..${max} or one of ${names.join(", ")}`, example: names[0] });
}

export const ChannelIn = enumeration(CHANNEL_NAMES, MAX_CHANNEL, "Channel");
export const KindIn = enumeration(KIND_NAMES, MAX_KIND, "Kind");

export const ChannelOut = z.object({ code: z.number().int(), name: z.enum(CHANNEL_NAMES) }).openapi("Channel");
export const KindOut = z.object({ code: z.number().int(), name: z.enum(KIND_NAMES) }).openapi("Kind");
export const channelOut = (c: number) => ({ code: c, name: CHANNEL_NAMES[c] ?? "other" });
export const kindOut = (k: number) => ({ code: k, name: KIND_NAMES[k] ?? "note" });

/** 32-byte hash in, lowercased. */
export const Bytes32In = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte hex string")
  .transform((h) => h.toLowerCase() as `0x${string}`);

/** Unix seconds (chain time) in; must fit uint64 and a JS number. */
export const UnixSeconds = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).openapi({ description: "Unix seconds (chain time)" });
