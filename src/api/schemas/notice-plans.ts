import { z } from "../openapi";
import { noticePlanSchema } from "../../notify/plan";
import { Address, AddressOut } from "./common";

export const LenderParam = z.object({
  lender: Address.openapi({ param: { name: "lender", in: "path" }, description: "The lender (0x address)" }),
});

/**
 * A notice plan, as src/notify/plan.ts validates it (the same schema the CLI's file and the stored
 * rows use). Named with zod's `.meta` (which zod-to-openapi reads): the schema is built outside
 * the API, before `extendZodWithOpenApi` could give it `.openapi`.
 */
export const NoticePlan = noticePlanSchema.meta({
  id: "NoticePlan",
  description:
    "Which trigger sends which template on which channels, in fallback order: `{ version: 1, webhook?: { url }, caps?: { perDay, per7Days }, default: { rules, caps? }, segments?: { <name>: { rules, caps? } } }`. " +
    "A rule: `{ trigger, when?, dpd? (DpdReached only), template, channels (sms, email, letter in fallback order), webhook?: true (also post to the lender's webhook), kind?: reminder | notice }`.",
});

export const NoticePlanRecord = z
  .object({
    lender: AddressOut,
    version: z.number().int().openapi({ description: "1, 2, ... per lender; 0 is the built-in plan (the lender set none)" }),
    planHash: z.string().openapi({ description: "0x SHA-256 of the plan's canonical JSON (sorted keys, no whitespace)" }),
    createdBy: z.string().openapi({ description: "The caller that set it (an address; `cli` from the command line; `duetrail` for the built-in plan)" }),
    createdAt: z.number().int().openapi({ description: "When it was set (server clock, unix seconds; 0 for the built-in plan)" }),
    builtIn: z.boolean(),
    plan: NoticePlan,
  })
  .openapi("NoticePlanRecord");
export type NoticePlanRecord = z.infer<typeof NoticePlanRecord>;
