/**
 * A borrower's contact record (issue 15's contact directory): the fields, their validation (zod,
 * messages that follow `field X: `) and the split between what is sealed and what stays plain
 * (see src/db/migrations/0007_borrower_contacts.ts for why). One definition for the CLI's
 * `borrowers import` and, later, the API.
 */
import { z } from "zod";
import type { Hex } from "viem";

/** The channels a borrower consents to, one flag each. */
export const CONSENT_CHANNELS = ["sms", "email", "letter", "webhook"] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** The sealed part: the contact points that identify or reach a person. */
export interface ContactPoints {
  email?: string;
  /** E.164: + and up to 15 digits. */
  phone?: string;
  /** Free text, lines separated by \n, in the order the post of its country writes them. */
  postalAddress?: string;
}

/** One borrower's contact record (for one lender). */
export interface BorrowerContact extends ContactPoints {
  /** 0x + 64 lowercase hex digits: the loan's borrowerRef. */
  borrowerRef: Hex;
  /** BCP 47 tag, canonical (zh-CN, en). */
  language: string;
  /** IANA time zone name (Asia/Shanghai). */
  timeZone: string;
  /** ISO 3166-1 alpha-2 country, optionally -subdivision (ISO 3166-2): CN, US-CA. */
  jurisdiction: string;
  consent: Record<ConsentChannel, boolean>;
}

const EMAIL = /^[^\s@"<>(),;:\\[\]]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** An email address of ordinary shape (local@domain.tld, at most 254 characters); not a deliverability check. */
export const email = z
  .string({ error: "must be an email address" })
  .trim()
  .refine((s) => s.length <= 254 && EMAIL.test(s), "must be an email address (local@domain.tld)");

/** A phone number in E.164: + then 2 to 15 digits, no spaces. */
export const phoneE164 = z.string({ error: "must be a phone number in E.164 (+8613912345678)" }).trim().regex(/^\+[1-9]\d{1,14}$/, "must be a phone number in E.164 (+ country code and number, digits only: +8613912345678)");

/** A postal address: 1 to 500 characters, at most 8 lines. */
export const postalAddress = z
  .string({ error: "must be text" })
  .trim()
  .min(1, "must not be empty")
  .max(500, "must be at most 500 characters")
  .refine((s) => s.split("\n").length <= 8, "must have at most 8 lines");

/** A BCP 47 language tag (zh-CN, en, pt-BR), returned in canonical case. */
export const languageTag = z.string({ error: "must be a language tag such as zh-CN or en" }).transform((s, ctx): string => {
  const t = s.trim();
  let canonical: string | undefined;
  try {
    if (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(t)) canonical = Intl.getCanonicalLocales(t)[0];
  } catch {
    // not a well-formed tag
  }
  if (!canonical) {
    ctx.addIssue({ code: "custom", message: "must be a language tag such as zh-CN or en (BCP 47)" });
    return z.NEVER;
  }
  return canonical;
});

/** An IANA time zone name (Asia/Shanghai, UTC), as Intl knows it; offsets like +08:00 are refused. */
export const timeZone = z.string({ error: "must be an IANA time zone such as Asia/Shanghai" }).transform((s, ctx): string => {
  const t = s.trim();
  let zone: string | undefined;
  try {
    if (/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(t)) zone = new Intl.DateTimeFormat("en-US", { timeZone: t }).resolvedOptions().timeZone;
  } catch {
    // unknown zone
  }
  if (!zone) {
    ctx.addIssue({ code: "custom", message: "must be an IANA time zone such as Asia/Shanghai or Europe/Berlin" });
    return z.NEVER;
  }
  return t;
});

const regionNames = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
/** Codes Intl names that are not countries: unknown region, the EU and eurozone, the UN, outlying Oceania. */
const NOT_COUNTRIES = new Set(["ZZ", "EU", "EZ", "UN", "QO"]);

/** ISO 3166-1 alpha-2 country code, optionally with a subdivision (CN, CN-GD, US-CA). */
export const jurisdiction = z.string({ error: "must be a country code such as CN or US-CA" }).transform((s, ctx): string => {
  const t = s.trim().toUpperCase();
  const m = /^([A-Z]{2})(-[A-Z0-9]{1,3})?$/.exec(t);
  if (!m || NOT_COUNTRIES.has(m[1]!) || regionNames.of(m[1]!) === undefined) {
    ctx.addIssue({ code: "custom", message: "must be an ISO 3166 country code, optionally with a subdivision (CN, CN-GD, US-CA)" });
    return z.NEVER;
  }
  return t;
});

/** A consent flag: a JSON boolean, or true/false/1/0/yes/no in a CSV cell (absent is no consent: see toContact). */
export const consentFlag = z
  .unknown()
  .transform((v, ctx): boolean => {
    if (typeof v === "boolean") return v;
    const t = typeof v === "string" ? v.trim().toLowerCase() : typeof v === "number" ? String(v) : undefined;
    if (t === "true" || t === "1" || t === "yes") return true;
    if (t === "false" || t === "0" || t === "no") return false;
    ctx.addIssue({ code: "custom", message: "must be true or false" });
    return z.NEVER;
  });

/** A borrowerRef: 0x + 64 hex digits (lowercased). */
export const borrowerRef = z.unknown().transform((v, ctx): Hex => {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(v.trim())) {
    ctx.addIssue({ code: "custom", message: v === undefined ? "is required" : "must be 0x followed by 64 hex digits (the loan's borrowerRef)" });
    return z.NEVER;
  }
  return v.trim().toLowerCase() as Hex;
});

/** One record as a file row or request body gives it (flat), field by field. */
export const contactRowSchema = z.strictObject({
  borrowerRef,
  email: email.optional(),
  phone: phoneE164.optional(),
  postalAddress: postalAddress.optional(),
  language: languageTag,
  timeZone,
  jurisdiction,
  consentSms: consentFlag.optional(),
  consentEmail: consentFlag.optional(),
  consentLetter: consentFlag.optional(),
  consentWebhook: consentFlag.optional(),
});

export type ContactRowInput = z.input<typeof contactRowSchema>;

/** Which contact point each consent needs (a webhook goes to the lender's systems: none). */
const NEEDS: Partial<Record<ConsentChannel, keyof ContactPoints>> = { sms: "phone", email: "email", letter: "postalAddress" };

/**
 * The record of a row that passed {@link contactRowSchema}, and the cross-field problems: a
 * consent to a channel whose contact point is missing.
 */
export function toContact(r: z.output<typeof contactRowSchema>): { contact: BorrowerContact; problems: { field: string; message: string }[] } {
  // Closed by default: a consent not given is no consent.
  const consent = { sms: r.consentSms === true, email: r.consentEmail === true, letter: r.consentLetter === true, webhook: r.consentWebhook === true };
  const problems: { field: string; message: string }[] = [];
  for (const channel of CONSENT_CHANNELS) {
    const needs = NEEDS[channel];
    if (consent[channel] && needs && r[needs] === undefined) {
      const field = `consent${channel[0]!.toUpperCase()}${channel.slice(1)}`;
      problems.push({ field, message: `is true but ${needs} is missing` });
    }
  }
  const contact: BorrowerContact = {
    borrowerRef: r.borrowerRef,
    ...(r.email !== undefined ? { email: r.email } : {}),
    ...(r.phone !== undefined ? { phone: r.phone } : {}),
    ...(r.postalAddress !== undefined ? { postalAddress: r.postalAddress } : {}),
    language: r.language,
    timeZone: r.timeZone,
    jurisdiction: r.jurisdiction,
    consent,
  };
  return { contact, problems };
}
