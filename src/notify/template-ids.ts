/**
 * The ids of the notice templates (src/notify/templates renders them): what a plan or a request
 * (POST /v1/loans/{id}/notices) may name, and the kind of notice each one is. Kept apart from the
 * templates themselves so the API can check a name without loading a renderer.
 */
import type { NoticeKind } from "./types";

/** Every known template id. */
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
] as const;

export type TemplateId = (typeof TEMPLATE_IDS)[number];

const KNOWN: ReadonlySet<string> = new Set(TEMPLATE_IDS);

/** Whether `id` names a known template. */
export function isKnownTemplate(id: string): id is TemplateId {
  return KNOWN.has(id);
}

/**
 * The kind a template's notice is recorded as on chain: reminders (before or after a due date)
 * and the informal messages about a promise are `reminder`; everything formal (a penalty, a
 * classification, a default, a demand letter, a restructuring, a request) is `notice`.
 */
export function templateKind(id: TemplateId): NoticeKind {
  return id.startsWith("reminder.") || id.startsWith("promise.") ? "reminder" : "notice";
}
