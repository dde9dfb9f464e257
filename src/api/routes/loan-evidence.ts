import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { route } from "../route";
import { LoanIdParam } from "../schemas/common";
import { channelOut, kindOut } from "../schemas/collection";
import { LoanEvidence } from "../schemas/loan-evidence";
import { asOf, visibleLoan } from "../services/loans";
import { batchMemberships } from "../services/batches";
import { verifyLoanTrail } from "../services/trail-check";
import { flagNames } from "../../domain";
import { buildEvidenceBundle } from "../../evidence/bundle";
import { EvidenceError } from "../../evidence/errors";
import { EvidenceBundleOut } from "../schemas/evidence-bundle";
import { UnavailableError } from "../services/errors";
import { BaseError } from "viem";

/** GET /v1/loans/:loanId/evidence: the auditor's view of a loan's trail, batch proofs and verification. */
export function registerLoanEvidenceRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/loans/:loanId/evidence",
      summary: "A loan's evidence trail, verified",
      description: [
        "For auditors (any loan), lenders (their own) and collectors (assigned loans): every indexed action in sequence order with its",
        "compliance flags, trail head, transaction and block; the loan's leaves of anchored batches that were uploaded (POST /v1/batches), each",
        "with its Merkle proof (an automated notice's action names its notice); and the trail recomputed from the indexed actions (src/domain) and compared with CollectionLog.trailOf at the",
        "asOf block. Without chain access `onChainHead` is null and `valid` false, with the reason.",
      ].join(" "),
      tags: ["evidence"],
      request: { params: LoanIdParam },
      responses: { 200: { description: "The loan's evidence", schema: LoanEvidence } },
    },
    async ({ params }, req) => {
      const row = await visibleLoan(db, scopeOf(req), params.loanId);
      const at = await asOf(db);
      const actions = await db
        .selectFrom("actions")
        .selectAll()
        .where("loan_id", "=", row.loan_id)
        .where("block_number", "<=", at.block)
        .orderBy("block_number")
        .orderBy("log_index")
        .execute();
      const [batches, verification, notices] = await Promise.all([
        batchMemberships(db, row.loan_id, at.block),
        verifyLoanTrail(db, services, row.loan_id, actions, at),
        db.selectFrom("notices").select(["id", "template", "template_version", "language", "channel", "status", "trigger", "action_seq", "evidence_hash"]).where("loan_id", "=", row.loan_id).where("action_seq", "is not", null).execute(),
      ]);
      const noticeOf = new Map(notices.map((n) => [n.action_seq!, n]));
      return {
        loanId: String(row.loan_id),
        actions: actions.map((a) => ({
          seq: a.seq,
          collector: a.collector,
          channel: channelOut(a.channel),
          kind: kindOut(a.kind),
          outcome: a.outcome,
          occurredAt: a.occurred_at,
          evidenceHash: a.evidence_hash,
          flags: { mask: a.flags, names: flagNames(a.flags) },
          head: a.head,
          txHash: a.tx_hash,
          block: a.block_number,
          logIndex: a.log_index,
          timestamp: a.block_timestamp,
          notice: ((n) =>
            n
              ? { id: n.id, template: n.template, templateVersion: n.template_version, language: n.language, channel: n.channel, status: n.status, trigger: n.trigger, evidenceMatches: n.evidence_hash === a.evidence_hash }
              : null)(noticeOf.get(a.seq)),
        })),
        batches,
        verification,
        asOf: at,
      };
    },
  );

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/loans/:loanId/evidence/bundle",
      summary: "A loan's evidence bundle (the CLI's export)",
      description: [
        "Exactly what `duetrail evidence export --loan <id>` writes (format duetrail-evidence-bundle/2, built by the same code), read from the chain",
        "at the API's indexed block (asOf): the loan's terms, policy and schedule versions, every LoanLedger and CollectionLog event of the loan,",
        "and the trail verified against CollectionLog.trailOf. Chain data only: no personal data. Same visibility as the loan; 503 without chain access.",
      ].join(" "),
      tags: ["evidence"],
      request: { params: LoanIdParam },
      responses: { 200: { description: "The bundle", schema: EvidenceBundleOut } },
    },
    async ({ params }, req, res) => {
      const row = await visibleLoan(db, scopeOf(req), params.loanId);
      const chain = services.chain;
      if (!chain) throw new UnavailableError("this API runs without chain access: the bundle is read from the chain");
      const at = await asOf(db);
      let built;
      try {
        built = await buildEvidenceBundle(chain.client, chain.deployment, BigInt(row.loan_id), { block: BigInt(at.block) });
      } catch (err) {
        // The node is unreachable, behind the indexer or not the deployment's chain, or disagrees with the index (a loan it does
        // not know): the bundle cannot be read now.
        if (err instanceof EvidenceError || err instanceof BaseError) {
          throw new UnavailableError(`the chain could not be read at block ${at.block}: ${err.message.split("\n")[0]}`, { cause: err });
        }
        throw err;
      }
      res.set("Content-Disposition", `attachment; filename="loan-${row.loan_id}-evidence.json"`);
      return built.bundle;
    },
  );
}
