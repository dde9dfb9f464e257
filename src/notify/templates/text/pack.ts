/**
 * The shape of a language's texts. Every text is an ICU MessageFormat message (intl-messageformat):
 * whole sentences with their arguments, plurals and selects, never built by concatenation. A part
 * that varies by jurisdiction is a {@link Jurisdictional} map: the exact jurisdiction (US-CA), then
 * its country (US), then `default`.
 */
import type { FactField, TemplateId } from "../catalog";

/** A value per jurisdiction: `default`, countries (CN) and subdivisions (US-CA). */
export type Jurisdictional<T> = { default: T } & { [jurisdiction: string]: T };

/** One template's texts in one language. */
export interface TemplateTexts {
  /** Email subject; a letter's title. One line. */
  subject: string;
  /** Email and letter body: paragraphs separated by a blank line. */
  body: string;
  /** The SMS text, framed by the jurisdiction's `smsFrame` (absent: the template has no SMS form). */
  sms?: string;
}

/** A template's texts: the default, and overrides per jurisdiction (any of the three parts). */
export type TemplateVariants = { default: TemplateTexts } & { [jurisdiction: string]: Partial<TemplateTexts> };

/** Everything one language says. */
export interface LanguagePack {
  /** BCP 47 tag, canonical (en, zh-CN). */
  language: string;
  /** The script of its letters: "latin" prints with the PDF standard fonts, "cjk" needs the CJK font. */
  script: "latin" | "cjk";
  templates: Record<TemplateId, TemplateVariants>;
  common: {
    /** `lenderName` when the data has none. */
    lenderName: string;
    greeting: string;
    /** Ends email and letter; `{lenderName}`. */
    closing: string;
    /** The last line of an email and a letter's footer: `{reference}`, `{loanId}`. */
    referenceLine: string;
    /** A token amount: `{amount}` (formatted number) and `{symbol}`. */
    tokenAmount: string;
    /** Letter date line: `{date}`. */
    dateLine: string;
    /** The label of each fact a letter lists, and of the loan's reference. */
    labels: Record<FactField | "reference", string>;
    /** How a fact's value prints where a plain value would not do: `{installment}`, `{dpd}`, `{name}` (a classification), `{count}`. */
    values: { installment: string; dpd: string; classification: string; installmentCount: string };
    /** Wraps an SMS text: `{lenderName}`, `{text}` (China: the 【signature】 first). */
    smsFrame: Jurisdictional<string>;
    /** The debt-collection disclosure of collection notices (email and letter), or null where none applies. */
    disclosure: Jurisdictional<string | null>;
    /** The address sheet's line naming the letter it goes with: `{reference}`. */
    addressSheetRef: string;
  };
}
