/**
 * Which texts a notice uses. Language: the exact tag if Duetrail has it, else any Chinese tag
 * (zh, zh-Hans, zh-SG, ...) falls back to zh-CN and anything else to en; a malformed tag is a
 * TemplateError. Jurisdiction: the exact one (US-CA), then its country (US), then the default.
 */
import { IntlMessageFormat } from "intl-messageformat";
import { TemplateError } from "../errors";
import { en } from "./text/en";
import type { Jurisdictional, LanguagePack } from "./text/pack";
import { zhCN } from "./text/zh-CN";

/** The languages with texts, by canonical tag. */
export const LANGUAGE_PACKS: Readonly<Record<string, LanguagePack>> = { en, "zh-CN": zhCN };

/** Where a language without texts of its own falls back, by primary language subtag; anything else: en. */
const FALLBACK: Readonly<Record<string, string>> = { zh: "zh-CN", en: "en" };

/**
 * The language pack for BCP 47 `tag`.
 * @throws TemplateError when `tag` is not a well-formed language tag.
 */
export function resolveLanguage(tag: string): LanguagePack {
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(tag.trim())[0];
  } catch {
    // malformed: below
  }
  if (!canonical) throw new TemplateError(`unknown language ${JSON.stringify(tag)}: not a BCP 47 language tag (en, zh-CN)`);
  const exact = LANGUAGE_PACKS[canonical];
  if (exact) return exact;
  const primary = new Intl.Locale(canonical).language;
  return LANGUAGE_PACKS[FALLBACK[primary] ?? "en"]!;
}

/**
 * A jurisdiction, upper case, or "" for none.
 * @throws TemplateError when it is not a country code with an optional subdivision (CN, US-CA).
 */
export function normalizeJurisdiction(jurisdiction: string | undefined): string {
  const j = (jurisdiction ?? "").trim().toUpperCase();
  if (j !== "" && !/^[A-Z]{2}(-[A-Z0-9]{1,3})?$/.test(j)) throw new TemplateError(`unknown jurisdiction ${JSON.stringify(jurisdiction)}: not a country code with an optional subdivision (CN, US-CA)`);
  return j;
}

/** The value for `jurisdiction` (normalized): the exact one, then its country's, then the default. */
export function forJurisdiction<T>(values: Jurisdictional<T>, jurisdiction: string): T {
  if (jurisdiction !== "" && Object.prototype.hasOwnProperty.call(values, jurisdiction)) return values[jurisdiction]!;
  const country = jurisdiction.split("-")[0]!;
  if (country !== "" && Object.prototype.hasOwnProperty.call(values, country)) return values[country]!;
  return values.default;
}

const compiled = new Map<string, IntlMessageFormat>();

/**
 * Formats ICU message `message` of `pack` with `values`.
 * @param what names the text in errors ("reminder.due subject").
 * @throws TemplateError when the message does not parse or an argument is missing.
 */
export function formatMessage(pack: LanguagePack, message: string, values: Record<string, string | number>, what: string): string {
  const key = `${pack.language}\u0000${message}`;
  try {
    let f = compiled.get(key);
    if (!f) compiled.set(key, (f = new IntlMessageFormat(message, pack.language)));
    const out = f.format(values);
    if (typeof out !== "string") throw new TemplateError(`${what} (${pack.language}) is not plain text`);
    return out;
  } catch (err) {
    if (err instanceof TemplateError) throw err;
    throw new TemplateError(`${what} (${pack.language}) does not render: ${(err as Error).message}`, { cause: err });
  }
}
