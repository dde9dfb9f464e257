import fs from "node:fs";
import { pipeline } from "node:stream/promises";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import express, { type Router } from "express";
import type { Kysely } from "kysely";
import type { ApiServices } from "../context";
import type { Scope } from "../auth/scope";
import { scopeOf } from "../auth/middleware";
import { BadRequestError, NotFoundError } from "../errors";
import { z } from "../openapi";
import { route } from "../route";
import { Sha256Param, StoredEvidence } from "../schemas/evidence";
import { visibleTo } from "../services/loans";
import { artifactPath, artifactSize, storeArtifact } from "../services/evidence-store";
import type { Database } from "../../db/schema";

/** Loans citing `hash` (0x lowercase) as an action's evidence, a promise's artifact, a dispute's evidence or a batch leaf's evidence. */
async function citingLoans(db: Kysely<Database>, hash: string): Promise<number[]> {
  const [a, p, d, b] = await Promise.all([
    db.selectFrom("actions").select("loan_id").where("evidence_hash", "=", hash).limit(100).execute(),
    db.selectFrom("promises").select("loan_id").where("artifact_hash", "=", hash).limit(100).execute(),
    db.selectFrom("disputes").select("loan_id").where("evidence_hash", "=", hash).limit(100).execute(),
    db.selectFrom("batch_leaves").select("loan_id").where("evidence_hash", "=", hash).limit(100).execute(),
  ]);
  return [...new Set([...a, ...p, ...d, ...b].map((r) => r.loan_id))];
}

/** Auditors read every artifact; anyone else only artifacts cited on a loan they may see. */
async function mayRead(db: Kysely<Database>, scope: Scope, hash: string): Promise<boolean> {
  if (scope.auditor) return true;
  const loans = await citingLoans(db, hash);
  if (loans.length === 0) return false;
  const visible = await visibleTo(db.selectFrom("loans").select("loans.loan_id"), scope).where("loans.loan_id", "in", loans).limit(1).executeTakeFirst();
  return visible !== undefined;
}

/** POST /v1/evidence (upload) and GET /v1/evidence/:sha256 (download). */
export function registerEvidenceRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  const dir = services.options.evidenceDir;
  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/evidence",
      summary: "Upload an evidence artifact",
      description: [
        `Any authenticated caller may upload. The raw body (any content type, up to ${services.options.maxEvidenceBytes} bytes) is stored`,
        "content-addressed under its SHA-256, durably (fsynced and renamed into place) before the answer. 201 when stored now, 200 when",
        "identical content was already stored (uploads are idempotent). Log the returned sha256 as an action's evidenceHash.",
      ].join(" "),
      tags: ["evidence"],
      request: {},
      rawBody: { description: "The artifact's bytes (call recording, letter PDF, photo); any content type" },
      before: [express.raw({ type: () => true, limit: services.options.maxEvidenceBytes })],
      responses: {
        201: { description: "Stored", schema: StoredEvidence },
        200: { description: "Identical content was already stored", schema: StoredEvidence },
        413: { description: "Larger than the configured maximum" },
      },
    },
    async (_input, req, res) => {
      const body: unknown = req.body;
      if (!Buffer.isBuffer(body) || body.length === 0) throw new BadRequestError("the request body (the artifact's bytes) is empty", [{ path: "body", message: "must not be empty" }]);
      const stored = await storeArtifact(dir, body);
      res.status(stored.created ? 201 : 200).json({ sha256: stored.sha256, size: stored.size });
      return undefined;
    },
  );

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/evidence/:sha256",
      summary: "Download an evidence artifact",
      description: [
        "The stored bytes as application/octet-stream. Auditors may read any artifact; lenders and collectors only artifacts cited by an",
        "indexed action, promise, dispute or uploaded batch leaf of a loan they may see. Otherwise 404, the same answer as for an unknown hash,",
        "so holding a digest reveals nothing.",
      ].join(" "),
      tags: ["evidence"],
      request: { params: Sha256Param },
      responses: { 200: { description: "The artifact", contentType: "application/octet-stream", schema: z.string().openapi({ format: "binary" }) } },
    },
    async ({ params }, req, res) => {
      const hex = params.sha256;
      const size = await artifactSize(dir, hex);
      if (size === undefined || !(await mayRead(db, scopeOf(req), `0x${hex}`))) throw new NotFoundError(`no evidence 0x${hex} visible to the caller`);
      res.status(200);
      res.setHeader("Content-Type", "application/octet-stream");
      res.setHeader("Content-Length", String(size));
      res.setHeader("Content-Disposition", `attachment; filename="${hex}"`);
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.setHeader("ETag", `"${hex}"`);
      res.setHeader("Cache-Control", "private, max-age=31536000, immutable");
      await pipeline(fs.createReadStream(artifactPath(dir, hex)), res);
      return undefined;
    },
  );
}
