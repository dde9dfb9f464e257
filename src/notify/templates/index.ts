/**
 * Notice templates (issue 15): the catalog, rendering to each channel's exact bytes, and the
 * address sheet for printed letters. See ./render.ts.
 */
export { TEMPLATE_IDS, TEMPLATES, isTemplateId, templateSupports, type NoticeField, type TemplateId, type TemplateInfo } from "./catalog";
export { DEMAND_PAY_WITHIN_DAYS, type NoticeCurrency, type NoticeData } from "./data";
export { CLASSIFICATION_NAMES, decimalString, formatAmount, type ClassificationName } from "./format";
export { CJK_FONT_PACKAGE, useCjkFont } from "./fonts";
export { LANGUAGE_PACKS, resolveLanguage } from "./locales";
export { renderAddressSheet, renderNotice, type RenderAddressSheetParameters, type RenderNoticeParameters } from "./render";
