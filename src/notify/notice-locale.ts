/**
 * The language and jurisdiction a notice renders in: the notice's own language (a request may name
 * one), else the borrower's contact record's; else the language of the loan's jurisdiction
 * (src/jurisdictions/profiles.ts), else English. The jurisdiction (its legal texts: disclosures,
 * SMS signature, page size) is the contact's, else the loan's.
 */
import { profileOf } from "../jurisdictions/profiles";

export interface NoticeLocaleInput {
  notice: { language: string | null };
  contact: { language: string; jurisdiction: string } | undefined;
  loan: { jurisdiction: string };
}

export function noticeLocale(r: NoticeLocaleInput): { language: string; jurisdiction: string } {
  return {
    language: r.notice.language ?? r.contact?.language ?? profileOf(r.loan.jurisdiction)?.language ?? "en",
    jurisdiction: r.contact?.jurisdiction ?? r.loan.jurisdiction,
  };
}
