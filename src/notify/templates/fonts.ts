/**
 * Fonts for letters. PDF's standard fonts (Helvetica) draw Latin text (WinAnsi) only; Chinese needs
 * a font with CJK glyphs, embedded as a subset. It comes from the npm package
 * `@fontsource/noto-sans-sc` (Noto Sans SC, SIL Open Font License 1.1): its `chinese-simplified`
 * WOFF files (regular and bold), which pdfkit's fontkit subsets (only the glyphs used are embedded,
 * a few kB a letter). The WOFF is unpacked to a plain OpenType font once, when first loaded: fontkit
 * reading a WOFF inflates its tables again on every glyph it looks up (seconds a letter), the
 * unpacked font takes milliseconds. Without the package, letters that need it fail with a TemplateError naming it;
 * {@link useCjkFont} sets another font (a deployment's own TTF/OTF/WOFF).
 */
import fs from "node:fs";
import zlib from "node:zlib";
import { TemplateError } from "../errors";

/** The npm package letters take their CJK font from. */
export const CJK_FONT_PACKAGE = "@fontsource/noto-sans-sc";
const FILES = {
  regular: `${CJK_FONT_PACKAGE}/files/noto-sans-sc-chinese-simplified-400-normal.woff`,
  bold: `${CJK_FONT_PACKAGE}/files/noto-sans-sc-chinese-simplified-700-normal.woff`,
};

/** A letter's CJK font: the font files' bytes (bold falls back to regular). */
export interface CjkFont {
  regular: Buffer;
  bold: Buffer;
}

let configured: CjkFont | undefined;
let loaded: CjkFont | null | undefined;

/**
 * A WOFF 1.0 font as the OpenType (sfnt) font it packs: the same tables, inflated, behind an sfnt
 * table directory (W3C WOFF 1.0, section 5). Any other font is returned as it is.
 * @throws TemplateError when a WOFF file is truncated or a table does not inflate.
 */
export function unpackWoff(font: Buffer): Buffer {
  if (font.length < 44 || font.readUInt32BE(0) !== 0x774f4646 /* wOFF */) return font;
  try {
    const count = font.readUInt16BE(12);
    const selector = Math.floor(Math.log2(count));
    const directory = Buffer.alloc(12 + 16 * count);
    directory.writeUInt32BE(font.readUInt32BE(4), 0); // flavor: the sfnt version
    directory.writeUInt16BE(count, 4);
    directory.writeUInt16BE(2 ** selector * 16, 6); // searchRange
    directory.writeUInt16BE(selector, 8); // entrySelector
    directory.writeUInt16BE(count * 16 - 2 ** selector * 16, 10); // rangeShift
    const parts: Buffer[] = [directory];
    let offset = directory.length;
    for (let i = 0; i < count; i++) {
      const e = 44 + i * 20;
      const [tag, at, packed, size, checksum] = [0, 4, 8, 12, 16].map((d) => font.readUInt32BE(e + d)) as [number, number, number, number, number];
      const stored = font.subarray(at, at + packed);
      const table = packed < size ? zlib.inflateSync(stored) : stored;
      if (table.length !== size) throw new TemplateError(`table ${i} is ${table.length} bytes, not ${size}`);
      const o = 12 + i * 16;
      directory.writeUInt32BE(tag, o);
      directory.writeUInt32BE(checksum, o + 4);
      directory.writeUInt32BE(offset, o + 8);
      directory.writeUInt32BE(size, o + 12);
      const pad = Buffer.alloc((4 - (size % 4)) % 4); // tables start on 4-byte boundaries
      parts.push(table, pad);
      offset += size + pad.length;
    }
    return Buffer.concat(parts);
  } catch (err) {
    throw new TemplateError(`the CJK font is not a valid WOFF file: ${(err as Error).message}`, { cause: err });
  }
}

function fromPackage(): CjkFont | null {
  let regular: Buffer;
  try {
    regular = unpackWoff(fs.readFileSync(require.resolve(FILES.regular)));
  } catch (err) {
    if (err instanceof TemplateError) throw err;
    return null;
  }
  let bold = regular;
  try {
    bold = unpackWoff(fs.readFileSync(require.resolve(FILES.bold)));
  } catch (err) {
    if (err instanceof TemplateError) throw err;
    // regular only
  }
  return { regular, bold };
}

/** The CJK font letters use: the one set with {@link useCjkFont}, else the package's, else undefined. */
export function cjkFont(): CjkFont | undefined {
  if (configured) return configured;
  if (loaded === undefined) loaded = fromPackage();
  return loaded ?? undefined;
}

/** Uses these font files (paths or bytes; TTF, OTF or WOFF with CJK glyphs) for letters that need one. */
export function useCjkFont(font: { regular: string | Buffer; bold?: string | Buffer }): void {
  const read = (f: string | Buffer) => unpackWoff(typeof f === "string" ? fs.readFileSync(f) : f);
  const regular = read(font.regular);
  configured = { regular, bold: font.bold ? read(font.bold) : regular };
}

/**
 * Characters the standard fonts' WinAnsi encoding has: printable ASCII, Latin-1 and the
 * typographic marks Windows-1252 adds (’ “ ” – — … € •, ...).
 */
const WIN_ANSI_EXTRA = new Set([..."€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"].map((c) => c.codePointAt(0)!));

/** Whether the standard fonts can draw every character of `text` (line breaks aside). */
export function standardFontCanDraw(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c === 0x0a) continue;
    if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(c)) continue;
    return false;
  }
  return true;
}
