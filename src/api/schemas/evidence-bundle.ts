import { z } from "../openapi";
import { EVIDENCE_BUNDLE_FORMAT } from "../../evidence/bundle";

const Json = z.record(z.string(), z.unknown());

/**
 * The CLI's evidence bundle (`duetrail evidence export`), documented at the top level; the nested
 * contract structs (terms, policy) and event arguments are the ABI's, bigints as decimal strings.
 */
export const EvidenceBundleOut = z
  .object({
    format: z.literal(EVIDENCE_BUNDLE_FORMAT),
    loanId: z.string(),
    source: z.object({ network: z.string(), chainId: z.number().int(), loanLedger: z.string(), collectionLog: z.string() }),
    asOf: z.object({ blockNumber: z.number().int(), blockHash: z.string(), timestamp: z.number().int(), time: z.string() }),
    terms: Json.openapi({ description: "LoanLedger.loanTerms at asOf, with startedAtTime and currencyCode" }),
    policy: Json.openapi({ description: "LoanLedger.policy of the loan's policy id at asOf" }),
    schedules: z.array(z.object({ version: z.number().int(), installments: z.array(Json) })),
    events: z.array(
      z.object({
        contract: z.string(),
        name: z.string(),
        args: Json,
        txHash: z.string(),
        blockNumber: z.number().int(),
        blockHash: z.string(),
        logIndex: z.number().int(),
        blockTimestamp: z.number().int(),
        blockTime: z.string(),
      }),
    ),
    verification: z.object({
      valid: z.boolean(),
      block: z.number().int(),
      count: z.string(),
      onChainCount: z.string(),
      recomputedHead: z.string(),
      onChainHead: z.string(),
      problems: z.array(z.object({ kind: z.string(), seq: z.string(), message: z.string() })),
    }),
  })
  .openapi("EvidenceBundle");
