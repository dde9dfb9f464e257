import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import express, { type Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { route } from "../route";
import { BatchBody, BatchStored } from "../schemas/batches";
import { storeBatchLeaves } from "../services/batches";

/** POST /v1/batches: the leaves of an anchored batch, so the evidence view can serve their proofs. */
export function registerBatchRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/batches",
      summary: "Upload the leaves of an anchored batch",
      description: [
        "The actions of a batch anchored with CollectionLog.anchorBatch, all of them, in the order the tree was built from. A batch vouches",
        "for recorded actions: accepted only when their count and OpenZeppelin StandardMerkleTree root equal the anchor as indexed, every leaf",
        "equals an indexed recorded action (same loan, sequence and fields: the same action hash), and the anchor's submitter was entitled to",
        "every leaf's loan when it anchored (the loan's lender, a servicer of that lender, or a collector assigned to it); 422 otherwise, naming",
        "the first offending leaf (`errors[0].path` = `body.actions.<index>`) for the leaf checks. The batch's submitter, auditors and callers",
        "who may see every loan named may upload (403 otherwise). 201 when stored, 200 when these leaves were already stored. The loans'",
        "evidence views then list each leaf with its inclusion proof while the anchor stays indexed (a reorg that removes it hides them).",
      ].join(" "),
      tags: ["evidence"],
      request: { body: BatchBody },
      before: [express.json({ limit: "8mb" })],
      responses: {
        201: { description: "Stored", schema: BatchStored },
        200: { description: "Already stored", schema: BatchStored },
        403: { description: "Not the submitter, not an auditor, and some loan is not visible to the caller" },
        422: { description: "The leaves do not rebuild the anchored count and root, a leaf is no recorded action, or the submitter was not entitled to a leaf's loan" },
      },
    },
    async ({ body }, req, res) => {
      const out = await storeBatchLeaves(
        services.db,
        scopeOf(req),
        body.batchId,
        body.actions.map((a) => ({ ...a, loanId: BigInt(a.loanId) })),
      );
      res.status(out.stored ? 201 : 200).json(out);
      return undefined;
    },
  );
}
