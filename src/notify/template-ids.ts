/**
 * The template ids a plan or a request (POST /v1/loans/{id}/notices) may name, and the kind each
 * is recorded as — read from the templates' catalog (src/notify/templates/catalog.ts), the one
 * list, without loading a renderer.
 */
import { isTemplateId, TEMPLATE_IDS, TEMPLATES, type TemplateId } from "./templates/catalog";
import type { NoticeKind } from "./types";

export { TEMPLATE_IDS, type TemplateId };

/** Whether `id` names a known template. */
export function isKnownTemplate(id: string): id is TemplateId {
  return isTemplateId(id);
}

/** The kind a template's notice is recorded as on chain (the catalog's). */
export function templateKind(id: TemplateId): NoticeKind {
  return TEMPLATES[id].kind;
}
