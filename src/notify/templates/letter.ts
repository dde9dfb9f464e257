/**
 * Letters as PDF (pdfkit): the rendered letter, whose bytes are the notice's evidence, and the
 * address sheet, which carries the borrower's postal address and is made for printing only (never
 * stored with the evidence). Both are deterministic for their input: the document date is the
 * chain time passed in (not the clock), the file ID is pdfkit's hash of the document info, fonts
 * are subset in glyph order; the same input gives the same bytes on every run.
 *
 * Latin-script text prints with the standard fonts (Helvetica); text they cannot draw (Chinese) with
 * the CJK font of ./fonts.ts.
 */
import PDFDocument from "pdfkit";
import { TemplateError } from "../errors";
import { CJK_FONT_PACKAGE, cjkFont, standardFontCanDraw } from "./fonts";

/** Page size by jurisdiction: US Letter in the US and Canada, A4 elsewhere. */
export function pageSizeFor(jurisdiction: string): "LETTER" | "A4" {
  const country = jurisdiction.split("-")[0];
  return country === "US" || country === "CA" ? "LETTER" : "A4";
}

/** What a letter prints, already formatted. */
export interface LetterContent {
  language: string;
  pageSize: "LETTER" | "A4";
  /** Chain time the letter is dated (its PDF CreationDate). */
  createdAt: bigint;
  /** The sender (the lender's name), top left. */
  sender: string;
  dateLine: string;
  title: string;
  /** Label and value rows under the title. */
  facts: { label: string; value: string }[];
  paragraphs: string[];
  /** Smaller print after the body (a disclosure), if any. */
  smallPrint: string[];
  closing: string;
  footer: string;
}

type Fonts = { regular: string; bold: string };

/** Registers the fonts `texts` need on `doc`. */
function fontsFor(doc: PDFKit.PDFDocument, texts: string[], what: string): Fonts {
  if (texts.every(standardFontCanDraw)) return { regular: "Helvetica", bold: "Helvetica-Bold" };
  const cjk = cjkFont();
  if (!cjk) throw new TemplateError(`${what} has characters PDF's standard fonts cannot draw and no CJK font is installed (npm package ${CJK_FONT_PACKAGE})`);
  doc.registerFont("cjk", cjk.regular);
  doc.registerFont("cjk-bold", cjk.bold);
  return { regular: "cjk", bold: "cjk-bold" };
}

function newDocument(opts: { pageSize: string; createdAt: bigint; title: string; author: string; language: string }): PDFKit.PDFDocument {
  const ms = Number(opts.createdAt) * 1000;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new TemplateError(`letter date ${opts.createdAt} is out of range`);
  return new PDFDocument({
    size: opts.pageSize,
    margins: { top: 64, bottom: 64, left: 72, right: 72 },
    lang: opts.language,
    displayTitle: true,
    info: { Title: opts.title, Author: opts.author, Creator: "Duetrail notices", Producer: "Duetrail", CreationDate: new Date(ms) },
  });
}

/** Ends `doc` and collects its bytes. */
function bytesOf(doc: PDFKit.PDFDocument): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    doc.on("error", reject);
    doc.end();
  });
}

/** The letter as PDF bytes. */
export async function renderLetterPdf(c: LetterContent, what: string): Promise<Uint8Array> {
  const doc = newDocument({ pageSize: c.pageSize, createdAt: c.createdAt, title: c.title, author: c.sender, language: c.language });
  const all = [c.sender, c.dateLine, c.title, ...c.facts.flatMap((f) => [f.label, f.value]), ...c.paragraphs, ...c.smallPrint, c.closing, c.footer];
  const f = fontsFor(doc, all, what);
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  doc.font(f.bold).fontSize(13).text(c.sender, { width });
  doc.font(f.regular).fontSize(10).text(c.dateLine, { width, align: "right" });
  doc.moveDown(1.5);
  doc.font(f.bold).fontSize(16).text(c.title, { width });
  doc.moveDown(0.8);

  // Facts: label and value in two columns, each row as tall as its taller cell.
  const labelWidth = Math.round(width * 0.4);
  doc.fontSize(10.5);
  for (const fact of c.facts) {
    const y = doc.y;
    doc.font(f.regular).text(fact.label, left, y, { width: labelWidth - 8 });
    const labelBottom = doc.y;
    doc.font(f.bold).text(fact.value, left + labelWidth, y, { width: width - labelWidth });
    doc.x = left;
    doc.y = Math.max(labelBottom, doc.y) + 2;
  }
  doc.moveDown(1);

  doc.font(f.regular).fontSize(11);
  for (const p of c.paragraphs) doc.text(p, left, doc.y, { width, paragraphGap: 8, lineGap: 2 });
  if (c.smallPrint.length > 0) {
    doc.moveDown(0.5).fontSize(8.5);
    for (const p of c.smallPrint) doc.text(p, left, doc.y, { width, paragraphGap: 6, lineGap: 1 });
  }
  doc.moveDown(0.5).fontSize(11).text(c.closing, left, doc.y, { width, lineGap: 2 });
  doc.moveDown(2).fontSize(8.5).text(c.footer, left, doc.y, { width });
  return bytesOf(doc);
}

/** What an address sheet prints. */
export interface AddressSheetContent {
  language: string;
  pageSize: "LETTER" | "A4";
  createdAt: bigint;
  /** The line naming the letter it goes with (the loan's reference). */
  referenceLine: string;
  /** The postal address: lines separated by \n, in the order its post writes them. */
  postalAddress: string;
}

/**
 * The address sheet as PDF bytes: the reference line and the address placed for a window envelope
 * (A4: DIN 5008's window, 20 mm from the left, 45 mm from the top; US Letter: a #10 window, 7/8 in
 * from the left, 2 in from the top). Personal data: for printing only.
 */
export async function renderAddressSheetPdf(c: AddressSheetContent): Promise<Uint8Array> {
  const doc = newDocument({ pageSize: c.pageSize, createdAt: c.createdAt, title: c.referenceLine, author: "Duetrail", language: c.language });
  const f = fontsFor(doc, [c.referenceLine, c.postalAddress], "the address sheet");
  const mm = 72 / 25.4;
  const [x, y] = c.pageSize === "A4" ? [20 * mm, 45 * mm] : [0.875 * 72, 2 * 72];
  doc.font(f.regular).fontSize(8).text(c.referenceLine, x, y - 14, { width: 85 * mm, lineBreak: false });
  doc.font(f.regular).fontSize(11).text(c.postalAddress, x, y, { width: 85 * mm, lineGap: 1 });
  return bytesOf(doc);
}
