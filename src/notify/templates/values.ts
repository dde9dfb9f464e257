/**
 * A notice's data as its texts use it: every needed field checked, amounts and dates formatted in
 * the notice's language and the borrower's time zone, installments 1-based, and the facts a letter
 * lists. Also the raw figures a webhook carries beside the formatted ones.
 */
import { TemplateError } from "../errors";
import { TEMPLATES, type FactField, type NoticeField, type TemplateId } from "./catalog";
import { DEMAND_PAY_WITHIN_DAYS, type NoticeData } from "./data";
import { classificationName, formatAmount, formatDate } from "./format";
import { formatMessage } from "./locales";
import type { LanguagePack } from "./text/pack";

const AMOUNTS = ["amountDue", "amountOverdue", "penalty", "promiseAmount", "totalAmount", "settlementAmount", "forgivenAmount", "nextPartAmount"] as const;
const DATES = ["dueDate", "promiseDueBy", "firstDueDate", "payBy", "settlementDeadline", "holidayEnd", "nextPartDate"] as const;
const COUNTS = ["dpd", "installment", "offsetDays", "scheduleVersion", "installmentCount", "partCount"] as const;
type AmountField = (typeof AMOUNTS)[number];
type DateField = (typeof DATES)[number];

const isAmount = (f: NoticeField): f is AmountField => (AMOUNTS as readonly string[]).includes(f);
const isDate = (f: NoticeField): f is DateField => (DATES as readonly string[]).includes(f);

/** The values a template's messages take, its letter facts, and the figures for a webhook. */
export interface NoticeValues {
  /** ICU arguments. */
  args: Record<string, string | number>;
  facts: { label: string; value: string }[];
  /** Amounts: minor units (decimal string) and formatted. */
  amounts: Record<string, { minor: string; formatted: string }>;
  /** Dates: chain seconds and formatted. */
  dates: Record<string, { at: number; formatted: string }>;
  /** Counts as the chain gives them (installment 0-based) and classifications by name. */
  figures: Record<string, number | string>;
}

const SECONDS_PER_DAY = 86_400n;

/**
 * Checks that `data` has what template `id` needs and formats it.
 * @throws TemplateError naming the first missing or invalid field.
 */
export function noticeValues(id: TemplateId, pack: LanguagePack, data: NoticeData, timeZone: string): NoticeValues {
  const info = TEMPLATES[id];
  for (const field of info.needs) {
    if (data[field] === undefined || data[field] === null) throw new TemplateError(`template ${id} needs data.${field}`);
  }
  for (const field of COUNTS) {
    const v = data[field];
    if (v !== undefined && !Number.isSafeInteger(v)) throw new TemplateError(`data.${field} must be an integer, not ${String(v)}`);
  }
  if (data.installment !== undefined && data.installment < 0) throw new TemplateError(`data.installment must be the chain's index (0 or more), not ${data.installment}`);
  if (typeof data.reference !== "string" || data.reference.trim() === "" || /[\r\n]/.test(data.reference)) throw new TemplateError("data.reference must be one line of text");
  if (typeof data.loanId !== "bigint" || data.loanId < 0n) throw new TemplateError("data.loanId must be a non-negative bigint");
  if (typeof data.asOf !== "bigint") throw new TemplateError("data.asOf must be chain seconds (bigint)");

  const locale = pack.language;
  const lenderName = data.lenderName?.trim() ? data.lenderName.trim() : pack.common.lenderName;
  const amounts: NoticeValues["amounts"] = {};
  const dates: NoticeValues["dates"] = {};
  const args: Record<string, string | number> = { reference: data.reference, loanId: data.loanId.toString(), lenderName };

  for (const field of AMOUNTS) {
    const v = data[field];
    if (v === undefined) continue;
    if (typeof v !== "bigint") throw new TemplateError(`data.${field} must be a bigint in minor units`);
    const number = formatAmount(v, data.currency, locale);
    const formatted = "code" in data.currency ? number : formatMessage(pack, pack.common.tokenAmount, { amount: number, symbol: data.currency.symbol }, "token amount");
    amounts[field] = { minor: v.toString(), formatted };
    args[field] = formatted;
  }
  const when: Partial<Record<DateField, bigint>> = { ...data };
  if (id === "demand.letter" && when.payBy === undefined) when.payBy = data.asOf + BigInt(DEMAND_PAY_WITHIN_DAYS) * SECONDS_PER_DAY;
  for (const field of DATES) {
    const v = when[field];
    if (v === undefined) continue;
    if (typeof v !== "bigint") throw new TemplateError(`data.${field} must be chain seconds (bigint)`);
    const formatted = formatDate(v, locale, timeZone);
    dates[field] = { at: Number(v), formatted };
    args[field] = formatted;
  }
  dates.asOf = { at: Number(data.asOf), formatted: formatDate(data.asOf, locale, timeZone) };

  const figures: NoticeValues["figures"] = {};
  for (const field of COUNTS) if (data[field] !== undefined) figures[field] = data[field]!;
  if (data.dpd !== undefined) args.dpd = data.dpd;
  if (data.installment !== undefined) args.installment = data.installment + 1; // the chain counts from 0, people from 1
  if (data.offsetDays !== undefined) args.days = -data.offsetDays; // days before the due date
  if (data.scheduleVersion !== undefined) args.scheduleVersion = data.scheduleVersion;
  if (data.installmentCount !== undefined) args.installmentCount = data.installmentCount;
  if (data.partCount !== undefined) args.partCount = data.partCount;
  const classification = (name: string) => formatMessage(pack, pack.common.values.classification, { name }, "classification");
  if (data.classificationFrom !== undefined) args.from = classification((figures.classificationFrom = classificationName(data.classificationFrom)));
  if (data.classificationTo !== undefined) args.to = classification((figures.classificationTo = classificationName(data.classificationTo)));

  const facts = [{ label: pack.common.labels.reference, value: data.reference }];
  for (const field of info.facts) {
    const value = isAmount(field) || isDate(field) ? args[field] : factValue(pack, field, args);
    if (value === undefined) continue;
    facts.push({ label: pack.common.labels[field], value: String(value) });
  }
  return { args, facts, amounts, dates, figures };
}

/** How a count or classification prints as a letter fact. */
function factValue(pack: LanguagePack, field: FactField, args: Record<string, string | number>): string | undefined {
  const v = pack.common.values;
  switch (field) {
    case "installment":
      return args.installment === undefined ? undefined : formatMessage(pack, v.installment, { installment: args.installment }, "installment");
    case "dpd":
      return args.dpd === undefined ? undefined : formatMessage(pack, v.dpd, { dpd: args.dpd }, "days past due");
    case "installmentCount":
      return args.installmentCount === undefined ? undefined : formatMessage(pack, v.installmentCount, { count: args.installmentCount }, "installments");
    case "classificationFrom":
      return args.from as string | undefined;
    case "classificationTo":
      return args.to as string | undefined;
    default:
      return args[field] === undefined ? undefined : String(args[field]);
  }
}
