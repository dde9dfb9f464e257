import { pipeline } from "node:stream/promises";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Request, Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { NotFoundError } from "../services/errors";
import { z } from "../openapi";
import { route } from "../route";
import { EvidenceUploadQuery, Sha256Param, StoredEvidence } from "../schemas/evidence";
import { mayRead } from "../services/evidence-access";
import { openArtifact } from "../../evidence/store";
import { uploadEvidence } from "../services/evidence-upload";

/** The request's declared body length, if any (Node's parser has already refused a malformed one). */
function declaredLength(req: Request): number | undefined {
  const h = req.headers["content-length"];
  return h === undefined ? undefined : Number(h);
}

/** POST /v1/evidence?loanId= (upload) and GET /v1/evidence/:sha256 (download). */
export function registerEvidenceRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db, options } = services;
  const dir = options.evidenceDir;
  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/evidence",
      summary: "Upload an evidence artifact for a loan",
      description: [
        "For the loan named by `loanId`: its lender, a servicer of its lender, or a collector assigned to it may upload (404 when the loan is",
        "not visible to the caller, 403 for others who see it, such as auditors). The raw body (any content type, up to",
        `${options.maxEvidenceBytes} bytes: 413 above, refused at once from Content-Length) is streamed to disk while it is hashed and stored`,
        "content-addressed under its SHA-256, durably (fsynced and renamed into place) before the answer. 201 when stored now, 200 when",
        "identical content was already stored. Each caller may upload EVIDENCE_QUOTA_BYTES_PER_DAY bytes per 24 hours (429 naming the quota",
        "beyond); while the store's disk has less than EVIDENCE_MIN_FREE_BYTES free, uploads get 507. Log the returned sha256 as an action's",
        "evidenceHash on the same loan: an artifact is readable by its uploader and by those who may see a loan it was uploaded for and that",
        "cites it. Artifacts nothing cites are removed EVIDENCE_RETENTION_DAYS after their last upload.",
      ].join(" "),
      tags: ["evidence"],
      request: { query: EvidenceUploadQuery },
      rawBody: { description: "The artifact's bytes (call recording, letter PDF, photo); any content type" },
      responses: {
        201: { description: "Stored", schema: StoredEvidence },
        200: { description: "Identical content was already stored", schema: StoredEvidence },
        403: { description: "The caller may see the loan but does not produce evidence on it (auditors)" },
        404: { description: "The loan does not exist or is not visible to the caller" },
        413: { description: "Larger than the configured maximum" },
        429: { description: "Over the caller's daily evidence quota (`quota` names the setting), or rate limited (see Retry-After)" },
        507: { description: "Free disk space of the evidence store is below the configured floor" },
      },
    },
    async ({ query }, req, res) => {
      try {
        const out = await uploadEvidence({ db, options, scope: scopeOf(req), loanId: query.loanId, body: req, declaredLength: declaredLength(req), now: services.now() });
        res.status(out.created ? 201 : 200).json({ sha256: out.sha256, size: out.size });
        return undefined;
      } catch (err) {
        // Refused before or while reading: discard what remains of the body, and answer on this connection.
        req.resume();
        throw err;
      }
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
        "The stored bytes as application/octet-stream, `Cache-Control: private, no-store`. Readable by the caller who uploaded it, and by",
        "callers who may see a loan (auditors: any loan) for which it was uploaded AND on which an indexed action, promise, dispute or stored",
        "leaf of a batch still anchored cites it. Citing a hash on another loan grants nothing. Otherwise 404, the same answer as for an",
        "unknown hash, so holding a digest reveals nothing.",
      ].join(" "),
      tags: ["evidence"],
      request: { params: Sha256Param },
      responses: { 200: { description: "The artifact", contentType: "application/octet-stream", schema: z.string().openapi({ format: "binary" }) } },
    },
    async ({ params }, req, res) => {
      const hex = params.sha256;
      const notFound = () => new NotFoundError(`no evidence 0x${hex} visible to the caller`);
      if (!(await mayRead(db, scopeOf(req), `0x${hex}`))) throw notFound();
      // Opened before answering: the retention sweep may remove a file between a check and a read.
      const file = await openArtifact(dir, hex);
      if (!file) throw notFound();
      const { size } = await file.stat().catch(async (err: unknown) => {
        await file.close();
        throw err;
      });
      res.status(200);
      res.setHeader("Content-Type", "application/octet-stream");
      res.setHeader("Content-Length", String(size));
      res.setHeader("Content-Disposition", `attachment; filename="${hex}"`);
      res.setHeader("X-Content-Type-Options", "nosniff");
      // Artifacts hold personal data, and access follows the chain (a reassignment ends it): never kept by a cache.
      res.setHeader("Cache-Control", "private, no-store");
      await pipeline(file.createReadStream(), res);
      return undefined;
    },
  );
}
