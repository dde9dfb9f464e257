/**
 * Renders a notice: one template, in one language and jurisdiction, for one channel, to the exact
 * bytes that are sent and whose SHA-256 is its evidence (src/notify/types.ts, RenderedNotice):
 *  - sms: the UTF-8 text, framed as the jurisdiction signs SMS (CN: 【lender】 first);
 *  - email: `Subject: <subject>\n\n<text>` in UTF-8, the text being greeting, body, the
 *    jurisdiction's disclosure for collection notices, closing and the reference line;
 *  - letter: the PDF of ./letter.ts (no address: see {@link renderAddressSheet});
 *  - webhook: canonical JSON (sorted keys) with the template, the amounts in minor units (decimal
 *    strings) and formatted, the dates in chain seconds and formatted, the figures, the subject and
 *    the email text.
 */
import { TemplateError } from "../errors";
import { canonicalJson } from "../../domain/canonical-json";
import type { NoticeChannel, NoticeKind, RenderedNotice } from "../types";
import { isTemplateId, TEMPLATES, TEMPLATE_IDS, type TemplateId } from "./catalog";
import type { NoticeCurrency, NoticeData } from "./data";
import { pageSizeFor, renderAddressSheetPdf, renderLetterPdf } from "./letter";
import { forJurisdiction, formatMessage, normalizeJurisdiction, resolveLanguage } from "./locales";
import type { LanguagePack, TemplateTexts } from "./text/pack";
import { noticeValues, type NoticeValues } from "./values";

/** renderNotice's parameters. */
export interface RenderNoticeParameters {
  template: string;
  channel: NoticeChannel;
  /** The borrower's language (BCP 47); zh-* falls back to zh-CN, anything else to en. */
  language: string;
  /** The borrower's jurisdiction (CN, US-CA); "" or absent: the default texts. */
  jurisdiction?: string;
  /** The borrower's IANA time zone: dates print as its calendar shows them. */
  timeZone: string;
  data: NoticeData;
  /** The kind the plan gave the notice (webhook payloads carry it); default the template's. */
  kind?: NoticeKind;
}

const TEXT = "text/plain; charset=utf-8";

/** A template's texts for a jurisdiction: the default, overlaid by its country's, then by its own. */
function textsFor(pack: LanguagePack, id: TemplateId, jurisdiction: string): TemplateTexts {
  const variants = pack.templates[id];
  const country = jurisdiction.split("-")[0]!;
  const layers = [variants.default, country !== "" && country !== jurisdiction ? variants[country] : undefined, jurisdiction !== "" ? variants[jurisdiction] : undefined];
  return Object.assign({}, ...layers.filter((l) => l !== undefined)) as TemplateTexts;
}

/** The parts of an email and a letter, formatted. */
function documentParts(id: TemplateId, pack: LanguagePack, texts: TemplateTexts, v: NoticeValues, jurisdiction: string) {
  const f = (message: string, part: string, args = v.args) => formatMessage(pack, message, args, `${id} ${part}`);
  const subject = f(texts.subject, "subject");
  if (/[\r\n]/.test(subject)) throw new TemplateError(`${id} subject (${pack.language}) is not one line`);
  const disclosure = TEMPLATES[id].collection ? forJurisdiction(pack.common.disclosure, jurisdiction) : null;
  return {
    subject,
    greeting: f(pack.common.greeting, "greeting"),
    body: f(texts.body, "body").split(/\n{2,}/),
    disclosure: disclosure === null ? [] : f(disclosure, "disclosure").split(/\n{2,}/),
    closing: f(pack.common.closing, "closing"),
    reference: f(pack.common.referenceLine, "reference line"),
  };
}

function currencyJson(c: NoticeCurrency): Record<string, string | number> {
  return "code" in c ? { code: c.code } : { token: c.token, symbol: c.symbol, decimals: c.decimals };
}

/**
 * Renders template `template` for `channel` in the borrower's language, jurisdiction and time zone.
 * Pure but for the letter's font loading; the same parameters give the same bytes.
 * @throws TemplateError naming what is wrong: an unknown template, a malformed language tag or
 *   jurisdiction, a channel the template has no form for, a field the template needs missing from
 *   `data`, a bad currency or time zone, a letter needing the CJK font when none is installed.
 */
export async function renderNotice(p: RenderNoticeParameters): Promise<RenderedNotice> {
  if (!isTemplateId(p.template)) throw new TemplateError(`unknown template ${JSON.stringify(p.template)} (known: ${TEMPLATE_IDS.join(", ")})`);
  const id = p.template;
  const info = TEMPLATES[id];
  if (!info.channels.includes(p.channel)) throw new TemplateError(`template ${id} has no ${p.channel} form (it has ${info.channels.join(", ")})`);
  const pack = resolveLanguage(p.language);
  const jurisdiction = normalizeJurisdiction(p.jurisdiction);
  const texts = textsFor(pack, id, jurisdiction);
  const v = noticeValues(id, pack, p.data, p.timeZone);
  const base = { template: id, templateVersion: info.version, language: pack.language };

  if (p.channel === "sms") {
    if (texts.sms === undefined) throw new TemplateError(`template ${id} has no sms text in ${pack.language}`);
    const inner = formatMessage(pack, texts.sms, v.args, `${id} sms`);
    const text = formatMessage(pack, forJurisdiction(pack.common.smsFrame, jurisdiction), { lenderName: v.args.lenderName!, text: inner }, `${id} sms frame`);
    return { ...base, contentType: TEXT, bytes: utf8(text), text };
  }

  const d = documentParts(id, pack, texts, v, jurisdiction);
  const text = [d.greeting, ...d.body, ...d.disclosure, d.closing, d.reference].join("\n\n");
  if (p.channel === "email") {
    return { ...base, contentType: TEXT, bytes: utf8(`Subject: ${d.subject}\n\n${text}`), subject: d.subject, text };
  }
  if (p.channel === "letter") {
    const bytes = await renderLetterPdf(
      {
        language: pack.language,
        pageSize: pageSizeFor(jurisdiction),
        createdAt: p.data.asOf,
        sender: String(v.args.lenderName),
        dateLine: formatMessage(pack, pack.common.dateLine, { date: v.dates.asOf!.formatted }, `${id} date line`),
        title: d.subject,
        facts: v.facts,
        paragraphs: [d.greeting, ...d.body],
        smallPrint: d.disclosure,
        closing: d.closing,
        footer: d.reference,
      },
      `the ${pack.language} letter ${id}`,
    );
    return { ...base, contentType: "application/pdf", bytes, subject: d.subject };
  }
  const payload = {
    type: "duetrail.notice",
    template: id,
    templateVersion: info.version,
    kind: p.kind ?? info.kind,
    language: pack.language,
    jurisdiction,
    timeZone: p.timeZone,
    loanId: p.data.loanId.toString(),
    reference: p.data.reference,
    currency: currencyJson(p.data.currency),
    amounts: v.amounts,
    dates: v.dates,
    figures: v.figures,
    subject: d.subject,
    text,
  };
  return { ...base, contentType: "application/json", bytes: utf8(canonicalJson(payload)), subject: d.subject, text };
}

/** renderAddressSheet's parameters. */
export interface RenderAddressSheetParameters {
  /** The borrower's postal address (src/pii/contact.ts): lines separated by \n. */
  postalAddress: string;
  /** The loan's reference, to match the sheet to its letter. */
  reference: string;
  language: string;
  jurisdiction?: string;
  /** The letter's date (chain seconds): the sheet's PDF date. */
  asOf: bigint;
}

/**
 * The address sheet of a letter, as PDF: personal data, made for printing and posting only — never
 * part of the letter's evidence, never stored with it, never logged.
 * @throws TemplateError for a malformed language tag or jurisdiction, an empty address, or an
 *   address needing the CJK font when none is installed.
 */
export async function renderAddressSheet(p: RenderAddressSheetParameters): Promise<Uint8Array> {
  const pack = resolveLanguage(p.language);
  const jurisdiction = normalizeJurisdiction(p.jurisdiction);
  const address = p.postalAddress.replace(/\r\n?/g, "\n").trim();
  // The message names neither the address nor any part of it.
  if (address === "") throw new TemplateError("the address sheet needs a postal address");
  return renderAddressSheetPdf({
    language: pack.language,
    pageSize: pageSizeFor(jurisdiction),
    createdAt: p.asOf,
    referenceLine: formatMessage(pack, pack.common.addressSheetRef, { reference: p.reference }, "address sheet reference"),
    postalAddress: address,
  });
}

const encoder = new TextEncoder();
const utf8 = (s: string): Uint8Array => encoder.encode(s);
