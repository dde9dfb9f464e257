import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { Router } from "express";
import type { ApiServices } from "../context";
import { Channel, Kind } from "../../domain";
import { scopeOf } from "../auth/middleware";
import { z } from "../openapi";
import { route } from "../route";
import { LoanIdParam } from "../schemas/common";
import { ChannelIn, KindIn } from "../schemas/collection";
import { ContactWindowOut } from "../schemas/queue";
import { asOf, visibleLoan } from "../services/loans";
import { loanContactWindow } from "../services/loan-work";

const ContactWindowQuery = z
  .object({
    channel: ChannelIn.optional().openapi({ description: "Channel of the contact (default call)" }),
    kind: KindIn.optional().openapi({ description: "Kind of the contact (default contact_made, the strictest call)" }),
  })
  .strict();

/** GET /v1/loans/:loanId/contact-window: may this contact reach the borrower now, and if not, when and why. */
export function registerLoanWorkRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;
  route(
    router,
    registry,
    {
      method: "get",
      path: "/v1/loans/:loanId/contact-window",
      summary: "Whether a contact would be within the contact rules now",
      description: [
        "For whoever may see the loan: whether a contact on `channel` of `kind` at the indexed block's time would carry no compliance",
        "flag (the borrower's local hours, calls per day and per 7 days, a jurisdiction's cool-down after a conversation, restricted channels,",
        "an open dispute: the lender's policy tightened by the loan's jurisdiction's rules, docs/jurisdictions.md), as the queue's",
        "`contactWindow` computes it; when not, the flags it would carry and the earliest chain time it would not (null when only the",
        "borrower or lender can lift the block).",
      ].join(" "),
      cache: services.cache,
      tags: ["collection"],
      request: { params: LoanIdParam, query: ContactWindowQuery },
      responses: { 200: { description: "The contact window", schema: ContactWindowOut } },
    },
    async ({ params, query }, req) => {
      const row = await visibleLoan(db, scopeOf(req), params.loanId);
      return loanContactWindow(db, row, await asOf(db), { channel: query.channel ?? Channel.Call, kind: query.kind ?? Kind.ContactMade });
    },
  );
}
