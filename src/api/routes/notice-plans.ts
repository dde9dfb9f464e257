import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { Problem } from "../openapi";
import { route } from "../route";
import { LenderParam, NoticePlan, NoticePlanRecord } from "../schemas/notice-plans";
import { readNoticePlan, writeNoticePlan } from "../services/notice-plans";

const FORBIDDEN = { description: "Not the lender, one of its servicers or (to read) an auditor", schema: Problem, contentType: "application/problem+json" };

/** GET and PUT /v1/notice-plans/:lender: a lender's notice plan (not chain data: never cached). */
export function registerNoticePlanRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/notice-plans/:lender",
      summary: "A lender's notice plan in force",
      description: [
        "The plan the notice dispatcher follows for the lender's loans: its newest version, or the built-in plan (version 0, `builtIn`)",
        "when the lender set none. Readable by the lender, its servicers and auditors; anyone else 403.",
      ].join(" "),
      tags: ["notices"],
      request: { params: LenderParam },
      responses: { 200: { description: "The plan in force", schema: NoticePlanRecord }, 403: FORBIDDEN },
    },
    async ({ params }, req) => recordOf(await readNoticePlan(services.db, scopeOf(req), params.lender)),
  );

  route(
    router,
    registry,
    {
      method: "put",
      path: "/v1/notice-plans/:lender",
      summary: "Set a lender's notice plan",
      description: [
        "Validates the plan (400 naming every problem by its path, e.g. `body.default.rules.2.template`: an unknown template, a channel the",
        "template has no form for, a webhook rule without `webhook.url`) and puts it in force as the lender's next version: 201. The plan in",
        "force sent again (same canonical JSON) makes no version: 200. The lender and its servicers may set it; anyone else 403.",
      ].join(" "),
      tags: ["notices"],
      request: { params: LenderParam, body: NoticePlan },
      responses: { 201: { description: "Stored as a new version", schema: NoticePlanRecord }, 200: { description: "Already the plan in force", schema: NoticePlanRecord }, 403: FORBIDDEN },
    },
    async ({ params, body }, req, res) => {
      const { stored, created } = await writeNoticePlan(services.db, scopeOf(req), params.lender, body, services.now());
      res.status(created ? 201 : 200).json(recordOf(stored));
      return undefined;
    },
  );
}

function recordOf(s: Awaited<ReturnType<typeof readNoticePlan>>): NoticePlanRecord {
  return { lender: s.lender, version: s.version, planHash: s.planHash, createdBy: s.createdBy, createdAt: s.createdAt, builtIn: s.builtIn, plan: s.plan };
}
