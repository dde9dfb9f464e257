import crypto from "node:crypto";
import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { Problem } from "../openapi";
import { route } from "../route";
import { LoanIdParam } from "../schemas/common";
import { LoanNoticeListQuery, Notice, NoticeCounts, NoticeCountsQuery, NoticeIdParam, NoticeList, NoticeListQuery, NoticeRequestBody, NoticeRequestHeaders } from "../schemas/notices";
import { ForbiddenError, InvalidRequestError } from "../services/errors";
import { createIdempotencyStore, type StoredResponse } from "../services/idempotency";
import { asOf, visibleLoan } from "../services/loans";
import { listNotices, noticeCounts, replayNotice, requestNotice } from "../services/notices";
import { portfolioScope } from "./portfolio";
import { isKnownTemplate, TEMPLATE_IDS } from "../../notify/template-ids";

const problem = (description: string) => ({ description, schema: Problem, contentType: "application/problem+json" });

const ITEM = [
  "Each notice: its trigger (a contract event with block, log index and transaction; a derived trigger; or a request and who asked),",
  "channel, kind, template and version, language, status (pending, deferred with `reason` and `nextAttemptAt`, sent, delivered, failed,",
  "cancelled, orphaned), attempts, the SHA-256 of the rendered bytes, the provider's message id, and its action on chain. Never contact data.",
  "Ordered by the trigger's chain time (`sort`), keyset-paginated with `nextCursor`. Not cached: the dispatcher changes notices between blocks.",
].join(" ");

/** The notices outbox: lists (all, per loan), counts, a requested notice, the replay of a dead-lettered webhook. */
export function registerNoticeRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  const idempotency = createIdempotencyStore({ db, now: services.now, maxPerCaller: services.options.idempotencyKeysPerCaller });

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/notices",
      summary: "List notices",
      description: `Notices the caller may see (as for loans: a lender its own loans', a servicer its lenders', a collector its assigned loans', an auditor all), filtered by \`status\`, \`channel\` and \`loanId\`. ${ITEM}`,
      tags: ["notices"],
      request: { query: NoticeListQuery },
      responses: { 200: { description: "A page of notices", schema: NoticeList } },
    },
    async ({ query }, req) => {
      if (query.cursor && query.cursor.s !== query.sort) throw new InvalidRequestError("the cursor belongs to another sort", [{ path: "query.cursor", message: "issued for another sort" }]);
      return listNotices(db, scopeOf(req), query);
    },
  );

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/loans/:loanId/notices",
      summary: "A loan's notices",
      description: `The notices of one loan the caller may see (404 otherwise), filtered by \`status\` and \`channel\`. ${ITEM}`,
      tags: ["notices"],
      request: { params: LoanIdParam, query: LoanNoticeListQuery },
      responses: { 200: { description: "A page of the loan's notices", schema: NoticeList } },
    },
    async ({ params, query }, req) => {
      const scope = scopeOf(req);
      await visibleLoan(db, scope, params.loanId);
      if (query.cursor && query.cursor.s !== query.sort) throw new InvalidRequestError("the cursor belongs to another sort", [{ path: "query.cursor", message: "issued for another sort" }]);
      return listNotices(db, scope, { ...query, loanId: params.loanId });
    },
  );

  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/portfolio/notices",
      summary: "Notices by status and channel",
      description:
        "Counts of the notices of the loans in the portfolio's scope: lenders their own (and those of lenders they service), auditors every lender's or one with `?lender=`; anyone else 403.",
      tags: ["portfolio", "notices"],
      request: { query: NoticeCountsQuery },
      responses: {
        200: { description: "Counts by status, and by channel and status", schema: NoticeCounts },
        403: problem("Not a lender or auditor, or a lender filter the caller does not act for"),
      },
    },
    async ({ query }, req) => noticeCounts(db, portfolioScope(scopeOf(req), query.lender)),
  );

  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/loans/:loanId/notices",
      summary: "Request a notice",
      description: [
        "A collector assigned to the loan, or its lender or servicer, asks for a notice: one outbox row, pending from the chain time of",
        "the indexer's cursor, that the dispatcher sends within the contact rules like any other (202 with the notice). 404 when the loan",
        "is not visible, 403 when visible but the caller is neither assigned nor acting for its lender (auditors). `template` must be a",
        `known template id (400 naming it otherwise): ${TEMPLATE_IDS.join(", ")}. Idempotency-Key: the same key and request give the`,
        "same notice (never a second one); another request under the key is 409. Keys are per caller, kept 24 h in the database.",
      ].join(" "),
      tags: ["notices"],
      request: { params: LoanIdParam, headers: NoticeRequestHeaders, body: NoticeRequestBody },
      responses: {
        202: { description: "The notice, pending", schema: Notice },
        403: problem("The loan is visible, but the caller is neither assigned to it nor acting for its lender"),
        409: problem("The Idempotency-Key was used with another request"),
      },
    },
    async ({ params, headers, body }, req, res) => {
      const scope = scopeOf(req);
      const loan = await visibleLoan(db, scope, params.loanId);
      const actsFor = scope.lenders.some((l) => l.toLowerCase() === loan.lender.toLowerCase());
      if (!actsFor) {
        const assigned = await db.selectFrom("current_collectors").select("loan_id").where("loan_id", "=", params.loanId).where("collector", "=", scope.address).executeTakeFirst();
        if (!assigned) throw new ForbiddenError(`only a collector assigned to loan ${params.loanId}, or its lender or servicers, may request notices on it`);
      }
      const template = body.template;
      if (!isKnownTemplate(template)) throw new InvalidRequestError(`unknown template "${template}"`, [{ path: "body.template", message: `unknown template "${template}" (known: ${TEMPLATE_IDS.join(", ")})` }]);
      const key = headers["idempotency-key"];
      const work = async (): Promise<StoredResponse> => {
        const notice = await requestNotice(db, {
          loanId: params.loanId,
          lender: loan.lender,
          borrowerRef: loan.borrower_ref,
          template,
          channel: body.channel,
          language: body.language,
          requestedBy: scope.address,
          key: key ?? crypto.randomUUID(),
          at: await asOf(db),
          nowMs: Date.now(),
        });
        return { status: 202, body: notice };
      };
      let out: StoredResponse & { replayed?: boolean };
      if (key) {
        const fingerprint = crypto.createHash("sha256").update(JSON.stringify({ op: "notice", loanId: params.loanId, ...body })).digest("hex");
        out = await idempotency.run(scope.address, key, fingerprint, work);
        if (out.replayed) res.setHeader("Idempotent-Replayed", "true");
      } else {
        out = await work();
      }
      res.status(out.status).json(out.body);
      return undefined;
    },
  );

  route(
    router,
    registry,
    {
      method: "post",
      path: "/v1/notices/:noticeId/replay",
      summary: "Replay a dead-lettered webhook notice",
      description: [
        "The lender or a servicer sends a webhook notice that failed for good (its dead-letter state) again: back to pending, due at the",
        "chain time of the indexer's cursor, attempts and reason cleared (202 with the notice). 404 when the caller cannot see the notice,",
        "403 when it can but does not act for its lender, 409 naming the status and channel for anything but a failed webhook notice.",
      ].join(" "),
      tags: ["notices"],
      request: { params: NoticeIdParam },
      responses: {
        202: { description: "The notice, pending again", schema: Notice },
        403: problem("The notice is visible, but the caller does not act for its lender"),
        409: problem("Not a failed webhook notice (`noticeStatus` and `channel` say what it is)"),
      },
    },
    async ({ params }, req) => replayNotice(db, scopeOf(req), params.noticeId, await asOf(db)),
  );
}
