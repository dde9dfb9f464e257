/**
 * The notice templates Duetrail knows: their ids, versions, kinds, the channels each has a form
 * for, and the data each needs. The texts are in ./text (one file per language); a notice records
 * the template's id and version (src/db/notify-tables.ts), so the version covers every text of the
 * template in every language and jurisdiction, and the shared parts it uses (greeting, labels,
 * disclosures): change a text, bump the version (test/notify/templates.test.ts pins each version to
 * a hash of its texts and fails until both move together).
 */
import type { NoticeChannel, NoticeKind } from "../types";

/** Every template id. */
export const TEMPLATE_IDS = [
  "reminder.before-due",
  "reminder.due",
  "reminder.overdue",
  "penalty.assessed",
  "classification.changed",
  "default.notice",
  "demand.letter",
  "restructure.proposed",
  "promise.confirmation",
  "promise.broken",
  "custom.request",
  "holiday.confirmation",
  "settlement.offer",
  "settlement.confirmation",
  "arrears.confirmation",
  "arrears.broken",
] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

/** The data fields a letter can list as facts (each has a label in every language pack). */
export type FactField =
  | "amountDue"
  | "amountOverdue"
  | "penalty"
  | "promiseAmount"
  | "totalAmount"
  | "dueDate"
  | "promiseDueBy"
  | "firstDueDate"
  | "payBy"
  | "dpd"
  | "installment"
  | "offsetDays"
  | "classificationFrom"
  | "classificationTo"
  | "scheduleVersion"
  | "installmentCount";

/** Fields only a template's messages use (relief): never a letter fact, so no label. */
export type MessageField =
  | "settlementAmount"
  | "settlementDeadline"
  | "forgivenAmount"
  | "holidayEnd"
  | "partCount"
  | "nextPartAmount"
  | "nextPartDate";

/** The data fields a template can need (see NoticeData in ./data.ts). */
export type NoticeField = FactField | MessageField;

/** What is known about a template besides its texts. */
export interface TemplateInfo {
  id: TemplateId;
  /** Recorded with each notice; bumped whenever any of its texts changes. */
  version: number;
  /** The kind a plan rule gets when it names none. */
  kind: NoticeKind;
  /** The channels it has a form for (a plan naming another is refused). */
  channels: readonly NoticeChannel[];
  /** The data fields it needs (rendering without one is a TemplateError naming it). */
  needs: readonly NoticeField[];
  /** The facts a letter lists under its title, in order (after the loan's reference and number). */
  facts: readonly FactField[];
  /** A collection communication: carries the jurisdiction's debt-collection disclosure, if any. */
  collection: boolean;
}

const ALL: readonly NoticeChannel[] = ["sms", "email", "letter", "webhook"];

const info = (id: TemplateId, t: Omit<TemplateInfo, "id">): TemplateInfo => ({ id, ...t });

/** The catalog, by id. */
export const TEMPLATES: Readonly<Record<TemplateId, TemplateInfo>> = {
  "reminder.before-due": info("reminder.before-due", {
    version: 1,
    kind: "reminder",
    channels: ALL,
    needs: ["amountDue", "dueDate", "installment", "offsetDays"],
    facts: ["installment", "amountDue", "dueDate"],
    collection: false,
  }),
  "reminder.due": info("reminder.due", { version: 1, kind: "reminder", channels: ALL, needs: ["amountDue", "dueDate", "installment"], facts: ["installment", "amountDue", "dueDate"], collection: false }),
  "reminder.overdue": info("reminder.overdue", {
    version: 1,
    kind: "reminder",
    channels: ALL,
    needs: ["amountOverdue", "dueDate", "installment", "dpd"],
    facts: ["installment", "dueDate", "amountOverdue", "dpd"],
    collection: true,
  }),
  "penalty.assessed": info("penalty.assessed", { version: 1, kind: "notice", channels: ALL, needs: ["penalty", "installment", "dpd"], facts: ["installment", "penalty", "dpd"], collection: true }),
  "classification.changed": info("classification.changed", {
    version: 1,
    kind: "notice",
    channels: ["email", "letter", "webhook"],
    needs: ["classificationFrom", "classificationTo", "dpd"],
    facts: ["classificationTo", "dpd"],
    collection: false,
  }),
  "default.notice": info("default.notice", { version: 1, kind: "notice", channels: ALL, needs: ["amountOverdue", "installment", "dpd"], facts: ["installment", "amountOverdue", "dpd"], collection: true }),
  "demand.letter": info("demand.letter", {
    version: 1,
    kind: "notice",
    channels: ["letter", "email", "webhook"],
    needs: ["amountOverdue", "penalty", "dpd"],
    facts: ["amountOverdue", "penalty", "dpd", "payBy"],
    collection: true,
  }),
  "restructure.proposed": info("restructure.proposed", {
    version: 1,
    kind: "notice",
    channels: ALL,
    needs: ["scheduleVersion", "installmentCount", "totalAmount", "firstDueDate"],
    facts: ["installmentCount", "totalAmount", "firstDueDate"],
    collection: false,
  }),
  "promise.confirmation": info("promise.confirmation", {
    version: 1,
    kind: "reminder",
    channels: ["sms", "email", "webhook"],
    needs: ["promiseAmount", "promiseDueBy"],
    facts: ["promiseAmount", "promiseDueBy"],
    collection: false,
  }),
  "promise.broken": info("promise.broken", { version: 1, kind: "reminder", channels: ALL, needs: ["promiseAmount", "promiseDueBy"], facts: ["promiseAmount", "promiseDueBy"], collection: true }),
  "custom.request": info("custom.request", { version: 1, kind: "reminder", channels: ALL, needs: ["amountDue"], facts: ["amountDue"], collection: false }),
  // Relief (LoanRelief's events). Recorded as reminders: an offer or a confirmation is no legal notice.
  "holiday.confirmation": info("holiday.confirmation", {
    version: 1,
    kind: "reminder",
    channels: ALL,
    needs: ["holidayEnd", "firstDueDate", "installmentCount", "totalAmount"],
    facts: ["installmentCount", "totalAmount", "firstDueDate"],
    collection: false,
  }),
  "settlement.offer": info("settlement.offer", {
    version: 1,
    kind: "reminder",
    channels: ALL,
    needs: ["settlementAmount", "settlementDeadline", "totalAmount"],
    facts: ["totalAmount"],
    collection: true,
  }),
  "settlement.confirmation": info("settlement.confirmation", {
    version: 1,
    kind: "reminder",
    channels: ["sms", "email", "letter", "webhook"],
    needs: ["settlementAmount", "forgivenAmount"],
    facts: [],
    collection: false,
  }),
  // An arrears plan's confirmation (the arrears, how many parts, the first) and its end by a missed
  // part (that part's date and what was short of it).
  "arrears.confirmation": info("arrears.confirmation", {
    version: 1,
    kind: "reminder",
    channels: ALL,
    needs: ["totalAmount", "partCount", "nextPartAmount", "nextPartDate"],
    facts: ["totalAmount"],
    collection: false,
  }),
  "arrears.broken": info("arrears.broken", {
    version: 1,
    kind: "reminder",
    channels: ALL,
    needs: ["nextPartAmount", "nextPartDate"],
    facts: [],
    collection: true,
  }),
};

/** Whether `id` names a template. */
export function isTemplateId(id: string): id is TemplateId {
  return Object.prototype.hasOwnProperty.call(TEMPLATES, id);
}

/** Whether template `id` has a form for `channel`. */
export function templateSupports(id: TemplateId, channel: NoticeChannel): boolean {
  return TEMPLATES[id].channels.includes(channel);
}
