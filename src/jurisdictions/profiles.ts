/**
 * The built-in jurisdiction profiles: the legal rate cap and the contact rules of mainland China,
 * the United States (and New York, as an example of a state's own usury cap) and the United Kingdom,
 * each rule with its source. docs/jurisdictions.md explains them; the deploy step loads the caps
 * into LoanLedger (`setJurisdictionCap`, admin only). A lender may be stricter (its contact policy,
 * its rates), never looser.
 *
 * Not legal advice: each figure is what the cited text says as read when this file was written
 * (see `reviewed`); check them before relying on them.
 */
/** Where a rule comes from. */
export interface Source {
  /** The instrument and its provision. */
  cite: string;
  /** A public URL for it, where there is a stable one. */
  url?: string;
}

/** Contact rules, borrower-local, as the jurisdiction sets them (null: it sets none). */
export interface ContactRules {
  /** Contact allowed in [startHour, endHour) local time, unless the borrower agreed otherwise. */
  startHour: number;
  endHour: number;
  /** Connected calls a day (null: no limit set). */
  maxConnectedCallsPerDay: number | null;
  /** Call attempts (connected or not) in 7 consecutive days (null: no limit set). */
  maxCallAttemptsPer7Days: number | null;
  /** Days after a telephone conversation in which no further call is made (0: none). */
  coolDownDaysAfterConversation: number;
  sources: Source[];
}

export interface JurisdictionProfile {
  /** ISO 3166 code. */
  code: string;
  name: string;
  /** The language notices go out in by default (src/notify/templates). */
  language: "en" | "zh-CN";
  /** The legal cap on contract rate + penalty rate, bps a year (null: none of its own; the country's or the global cap applies). */
  maxAnnualRateBps: number | null;
  /** How the cap is derived, and from what. */
  capRule: string;
  capSources: Source[];
  contact: ContactRules;
  /** When the figures were last checked against the sources. */
  reviewed: string;
}

/**
 * One-year Loan Prime Rate the China cap is derived from (4 x LPR), bps: 375, the figure the deploy
 * step's global default (MAX_ANNUAL_RATE_BPS 1500) has always assumed. The LPR is published monthly
 * (3.00% through 2025): a real deployment sets CN_ONE_YEAR_LPR_BPS to the rate in force.
 */
export const DEFAULT_CN_ONE_YEAR_LPR_BPS = 375;

/** China's cap for a one-year LPR of `lprBps`: four times it (SPC Private Lending Provisions, art. 25). */
export function chinaCapBps(lprBps: number): number {
  return 4 * lprBps;
}

const CN_PRIVATE_LENDING: Source = {
  cite: "Supreme People's Court, Provisions on Private Lending Cases (2020 revision), arts. 25 (interest above four times the one-year LPR at contracting is not supported), 29 (overdue interest, penalties and other fees together within the same limit) and 1 (licensed financial institutions are outside them)",
};
const CN_COLLECTION: Source = {
  cite: "GB/T 45251-2025, Internet finance — Online consumer lending — Guidance on post-loan collection risk control (SAMR/SAC, 2025-02-28), 5.3: no collection from 22:00 to 08:00 unless agreed; at most 3 connected calls a day to one debtor by the lender and its agencies together",
};
const US_REG_F_TIME: Source = {
  cite: "Regulation F, 12 CFR 1006.6(b)(1)(i): before 8 a.m. or after 9 p.m. local time at the consumer's location is presumed inconvenient",
  url: "https://www.ecfr.gov/current/title-12/chapter-X/part-1006/subpart-B/section-1006.6",
};
const US_REG_F_FREQUENCY: Source = {
  cite: "Regulation F, 12 CFR 1006.14(b)(2)(i): presumed harassing to call more than 7 times within 7 consecutive days, or within 7 days after a telephone conversation about the debt",
  url: "https://www.ecfr.gov/current/title-12/chapter-X/part-1006/subpart-B/section-1006.14",
};
const US_MLA: Source = { cite: "Military Lending Act, 10 U.S.C. 987: 36% MAPR for covered members and dependants only; no general federal cap" };
const NY_USURY: Source = { cite: "New York General Obligations Law 5-501 and Banking Law 14-a: 16% a year (civil usury)" };
const UK_CONC_TIMES: Source = {
  cite: "FCA Handbook, CONC 7.9.4 R: a firm must not contact customers at unreasonable times; 08:00-21:00 is Duetrail's reading, not a statutory figure",
  url: "https://www.handbook.fca.org.uk/handbook/CONC/7/9.html",
};
const UK_NO_CAP: Source = { cite: "No general cap on consumer credit; CONC 5A caps high-cost short-term credit only (0.8% a day, 100% total cost)" };

/** The built-in profiles. China's cap is for DEFAULT_CN_ONE_YEAR_LPR_BPS. */
export const BUILT_IN_JURISDICTIONS: readonly JurisdictionProfile[] = Object.freeze([
  {
    code: "CN",
    name: "China (mainland)",
    language: "zh-CN",
    maxAnnualRateBps: chinaCapBps(DEFAULT_CN_ONE_YEAR_LPR_BPS),
    capRule: "4 x the one-year LPR at contracting (1,200 bps at an LPR of 3.00%)",
    capSources: [CN_PRIVATE_LENDING],
    contact: { startHour: 8, endHour: 22, maxConnectedCallsPerDay: 3, maxCallAttemptsPer7Days: null, coolDownDaysAfterConversation: 0, sources: [CN_COLLECTION] },
    reviewed: "2026-12",
  },
  {
    code: "US",
    name: "United States",
    language: "en",
    maxAnnualRateBps: null,
    capRule: "none federal: the global cap applies unless a state sets one (see US-NY)",
    capSources: [US_MLA],
    contact: { startHour: 8, endHour: 21, maxConnectedCallsPerDay: null, maxCallAttemptsPer7Days: 7, coolDownDaysAfterConversation: 7, sources: [US_REG_F_TIME, US_REG_F_FREQUENCY] },
    reviewed: "2026-12",
  },
  {
    code: "US-NY",
    name: "New York",
    language: "en",
    maxAnnualRateBps: 1_600,
    capRule: "16% a year",
    capSources: [NY_USURY],
    contact: { startHour: 8, endHour: 21, maxConnectedCallsPerDay: null, maxCallAttemptsPer7Days: 7, coolDownDaysAfterConversation: 7, sources: [US_REG_F_TIME, US_REG_F_FREQUENCY] },
    reviewed: "2026-12",
  },
  {
    code: "GB",
    name: "United Kingdom",
    language: "en",
    maxAnnualRateBps: null,
    capRule: "none general: the global cap applies",
    capSources: [UK_NO_CAP],
    contact: { startHour: 8, endHour: 21, maxConnectedCallsPerDay: null, maxCallAttemptsPer7Days: null, coolDownDaysAfterConversation: 0, sources: [UK_CONC_TIMES] },
    reviewed: "2026-12",
  },
]);

/** The built-in profile of `code`, or of its country; undefined when neither is built in. */
export function profileOf(code: string): JurisdictionProfile | undefined {
  return BUILT_IN_JURISDICTIONS.find((p) => p.code === code) ?? BUILT_IN_JURISDICTIONS.find((p) => p.code === code.slice(0, 2));
}
