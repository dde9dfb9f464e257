import type { OpenAPIRegistry } from "@asteasolutions/zod-to-openapi";
import type { NextFunction, Request, Response, Router } from "express";
import type { ApiServices } from "../context";
import { scopeOf } from "../auth/middleware";
import { Problem } from "../openapi";
import { route } from "../route";
import { BorrowerRefParam, ContactErased, ContactInput, ContactQuery, ContactView, ContactWritten } from "../schemas/contacts";
import { contactViewFor, fullContact, keyringOf, maskedContact, readContact, requireContactWriter } from "../services/contacts";
import { InvalidRequestError } from "../services/errors";
import { eraseContact, upsertContacts } from "../../db/contacts";
import { toContact } from "../../pii/contact";

const PATH = "/v1/borrowers/:borrowerRef/contact";

/**
 * Personal data: never kept by a shared cache or the browser's (set before validation, so error
 * answers carry it too), and never in the per-block response cache (these routes set no `cache`).
 */
function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader("Cache-Control", "no-store");
  next();
}

const problem = (description: string) => ({ description, schema: Problem, contentType: "application/problem+json" });

const ACCESS = [
  "The lender (`?lender=`) and its servicers see the record in full; a collector assigned now to one of that lender's loans with",
  "this borrowerRef sees a masked form (email `j***@e***.com`, the phone's last four digits, no postal address); auditors and",
  "everyone else get 403, decided before the directory is read (a 403 says nothing about whether a record exists).",
  "Answers carry `Cache-Control: no-store`; contact data is never logged.",
].join(" ");

/** The borrower contact directory (src/db/contacts.ts): read (full or masked), upsert, erase. */
export function registerContactRoutes(router: Router, registry: OpenAPIRegistry, services: ApiServices): void {
  const { db } = services;

  route(
    router,
    registry,
    {
      method: "get",
      path: PATH,
      summary: "A borrower's contact record (full for the lender and servicers, masked for assigned collectors)",
      description: `${ACCESS} 404 when the caller may see it and there is none; 503 without PII_KEY.`,
      tags: ["borrowers"],
      before: [noStore],
      request: { params: BorrowerRefParam, query: ContactQuery },
      responses: {
        200: { description: "The record, in the form the caller may see (`view`: full or masked)", schema: ContactView },
        403: problem("An auditor, or a caller with no relation to this lender's borrower"),
        503: problem("The server has no PII_KEY (or not the key that sealed this record)"),
      },
    },
    async ({ params, query }, req) => {
      const view = await contactViewFor(db, scopeOf(req), query.lender, params.borrowerRef);
      const stored = await readContact(db, services.pii, query.lender, params.borrowerRef);
      return view === "full" ? fullContact(stored) : maskedContact(stored);
    },
  );

  route(
    router,
    registry,
    {
      method: "put",
      path: PATH,
      summary: "Set a borrower's contact record (lender and servicers)",
      description: [
        "Creates or replaces (whole) the lender's record for this borrowerRef, sealed with AES-256-GCM under PII_KEY. The fields and",
        "their validation are `borrowers import`'s (400 with the failing field paths; a consent needs its contact point). 201 when",
        "new, 200 when replaced; the answer does not echo the contact points. Only the lender and its servicers (403 otherwise);",
        "503 without PII_KEY. Answers carry `Cache-Control: no-store`; contact data is never logged.",
      ].join(" "),
      tags: ["borrowers"],
      before: [noStore],
      request: { params: BorrowerRefParam, query: ContactQuery, body: ContactInput },
      responses: {
        200: { description: "An existing record replaced", schema: ContactWritten },
        201: { description: "A new record", schema: ContactWritten },
        403: problem("Not the lender or one of its servicers"),
        503: problem("The server has no PII_KEY"),
      },
    },
    async ({ params, query, body }, req, res) => {
      requireContactWriter(scopeOf(req), query.lender);
      const { contact, problems } = toContact({ ...body, borrowerRef: params.borrowerRef });
      if (problems.length) throw new InvalidRequestError("invalid body", problems.map((p) => ({ path: `body.${p.field}`, message: p.message })));
      const keyring = keyringOf(services.pii);
      const now = services.now();
      const r = await upsertContacts(db, keyring, query.lender, [contact], now);
      const created = r.inserted === 1;
      res.status(created ? 201 : 200).json({ lender: query.lender, borrowerRef: params.borrowerRef, created, keyId: keyring.current.id, updatedAt: now });
      return undefined;
    },
  );

  route(
    router,
    registry,
    {
      method: "delete",
      path: PATH,
      summary: "Erase a borrower's contact record (PIPL/GDPR erasure; lender and servicers)",
      description: [
        "Deletes the lender's record for this borrowerRef, as `borrowers erase` does: the plain data is gone; hashes already anchored on",
        "chain or in evidence stay. Needs no PII_KEY. `erased` says whether there was a record; erasing again is not an error.",
        "Only the lender and its servicers (403 otherwise).",
      ].join(" "),
      tags: ["borrowers"],
      before: [noStore],
      request: { params: BorrowerRefParam, query: ContactQuery },
      responses: {
        200: { description: "Erased (or there was nothing to erase)", schema: ContactErased },
        403: problem("Not the lender or one of its servicers"),
      },
    },
    async ({ params, query }, req) => {
      requireContactWriter(scopeOf(req), query.lender);
      const erased = await eraseContact(db, query.lender, params.borrowerRef);
      return { lender: query.lender, borrowerRef: params.borrowerRef, erased };
    },
  );
}
