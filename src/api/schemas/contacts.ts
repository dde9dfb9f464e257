import { z } from "../openapi";
import { consentFlag, contactRowSchema } from "../../pii/contact";
import { Address, AddressOut } from "./common";

export const BorrowerRefParam = z.object({
  borrowerRef: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x followed by 64 hex digits (the loan's borrowerRef)")
    .transform((s) => s.toLowerCase() as `0x${string}`)
    .openapi({ param: { name: "borrowerRef", in: "path" }, example: `0x${"ab".repeat(32)}` }),
});

export const ContactQuery = z
  .object({ lender: Address.openapi({ description: "The lender whose borrower this is (a contact record belongs to one lender)" }) })
  .strict();

const consentIn = (channel: string) => consentFlag.optional().openapi({ type: "boolean", description: `Consent to ${channel} (absent: no consent)` });

/**
 * A contact record as PUT takes it: the fields of `borrowers import` (src/pii/contact.ts, the
 * same validation) without borrowerRef, which is in the path.
 */
export const ContactInput = contactRowSchema
  .omit({ borrowerRef: true })
  .extend({ consentSms: consentIn("SMS"), consentEmail: consentIn("email"), consentLetter: consentIn("letters"), consentWebhook: consentIn("webhooks to the lender's systems") })
  .openapi("BorrowerContactInput");

const Consent = z.object({ sms: z.boolean(), email: z.boolean(), letter: z.boolean(), webhook: z.boolean() }).openapi("ContactConsent");

const common = {
  lender: AddressOut,
  borrowerRef: z.string(),
  language: z.string().openapi({ description: "BCP 47 (zh-CN, en)" }),
  timeZone: z.string().openapi({ description: "IANA time zone (Asia/Shanghai)" }),
  jurisdiction: z.string().openapi({ description: "ISO 3166 country, optionally with a subdivision (CN, US-CA)" }),
  consent: Consent,
  updatedAt: z.number().int().openapi({ description: "When the record was last written (server clock, unix seconds)" }),
};

export const ContactFull = z
  .object({
    view: z.literal("full"),
    ...common,
    email: z.string().nullable(),
    phone: z.string().nullable().openapi({ description: "E.164" }),
    postalAddress: z.string().nullable(),
    keyId: z.string().openapi({ description: "Id of the PII_KEY that sealed the record" }),
  })
  .openapi("BorrowerContact");

export const ContactMasked = z
  .object({
    view: z.literal("masked"),
    ...common,
    email: z.string().nullable().openapi({ description: "First letters and top-level domain only: j***@e***.com" }),
    phone: z.string().nullable().openapi({ description: "Last four digits only: ***5678" }),
    hasPostalAddress: z.boolean().openapi({ description: "Whether a postal address is on file (the address itself is not shown; the country is `jurisdiction`)" }),
  })
  .openapi("BorrowerContactMasked");

export const ContactView = z.discriminatedUnion("view", [ContactFull, ContactMasked]).openapi("BorrowerContactView");

export const ContactWritten = z
  .object({
    lender: AddressOut,
    borrowerRef: z.string(),
    created: z.boolean().openapi({ description: "true: a new record (201); false: an existing one replaced whole (200)" }),
    keyId: z.string(),
    updatedAt: z.number().int(),
  })
  .openapi("BorrowerContactWritten");

export const ContactErased = z
  .object({ lender: AddressOut, borrowerRef: z.string(), erased: z.boolean().openapi({ description: "Whether there was a record (erasing twice is not an error)" }) })
  .openapi("BorrowerContactErased");
