/**
 * Notice templates: every template × language × jurisdiction renders for every channel it has a
 * form for (and only those); amounts exact from bigint (18-decimal tokens, CNY, USD, JPY, values
 * above 2^53); dates in the borrower's time zone around midnight; the jurisdiction and language
 * fallbacks; clear TemplateErrors; letters parsed back from their PDF (pdf-parse) for their
 * amounts and reference; the same input gives the same bytes; each template's version pinned to a
 * hash of its texts.
 *
 * Chinese letters need the CJK font package (@fontsource/noto-sans-sc); without it their tests are
 * skipped with a notice (TEST_CJK_FONT=<path of a CJK .woff/.ttf> supplies one from elsewhere).
 */
import crypto from "node:crypto";
import { expect } from "chai";
import { canonicalJson } from "../../src/domain/canonical-json";
import { TemplateError } from "../../src/notify/errors";
import {
  CJK_FONT_PACKAGE,
  LANGUAGE_PACKS,
  TEMPLATE_IDS,
  TEMPLATES,
  decimalString,
  formatAmount,
  renderAddressSheet,
  renderNotice,
  useCjkFont,
  type NoticeData,
  type RenderNoticeParameters,
} from "../../src/notify/templates";
import { cjkFont, unpackWoff } from "../../src/notify/templates/fonts";
import type { NoticeChannel } from "../../src/notify/types";

const CHANNELS: NoticeChannel[] = ["sms", "email", "letter", "webhook"];
const LANGUAGES = ["en", "zh-CN"] as const;
const JURISDICTIONS = ["", "CN", "US", "US-CA", "DE"];

/** 2024-03-01T00:00:00Z. */
const MAR_1 = 1_709_251_200n;
const DAY = 86_400n;

/** Data every template can render from (each takes the fields it needs). */
const DATA: NoticeData = {
  loanId: 42n,
  reference: "LN-2024-0042",
  currency: { code: "CNY" },
  asOf: MAR_1 + 10n * DAY,
  lenderName: "Acme Credit",
  amountDue: 123_456n,
  amountOverdue: 234_567n,
  penalty: 3_456n,
  promiseAmount: 100_000n,
  totalAmount: 1_200_000n,
  dueDate: MAR_1,
  promiseDueBy: MAR_1 + 20n * DAY,
  firstDueDate: MAR_1 + 40n * DAY,
  dpd: 10,
  installment: 2,
  offsetDays: -3,
  classificationFrom: 1,
  classificationTo: "substandard",
  scheduleVersion: 2,
  installmentCount: 6,
  settlementAmount: 800_000n,
  settlementDeadline: MAR_1 + 30n * DAY,
  forgivenAmount: 434_567n,
  holidayEnd: MAR_1 + 60n * DAY,
  partCount: 3,
  nextPartAmount: 400_000n,
  nextPartDate: MAR_1 + 14n * DAY,
};

const render = (p: Partial<RenderNoticeParameters> & { template: string; channel: NoticeChannel }) =>
  renderNotice({ language: "en", jurisdiction: "", timeZone: "Asia/Shanghai", data: DATA, ...p });

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

/** The text of a PDF (pdf-parse v2; it takes over the buffer it is given, so it gets a copy). */
async function pdfText(bytes: Uint8Array): Promise<string> {
  const { PDFParse } = require("pdf-parse") as { PDFParse: new (o: { data: Uint8Array }) => { getText(): Promise<{ text: string }>; destroy(): Promise<void> } };
  const parser = new PDFParse({ data: new Uint8Array(bytes) });
  try {
    return (await parser.getText()).text;
  } finally {
    await parser.destroy();
  }
}

async function expectTemplateError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, "a TemplateError").to.be.instanceOf(TemplateError);
  expect((caught as Error).message).to.match(pattern);
}

/** Whether letters in Chinese can be made here (the font package, or TEST_CJK_FONT). */
function haveCjkFont(): boolean {
  if (!cjkFont() && process.env.TEST_CJK_FONT) useCjkFont({ regular: process.env.TEST_CJK_FONT });
  return cjkFont() !== undefined;
}

describe("notify/templates", function () {
  let cjk = false;
  before(function () {
    cjk = haveCjkFont();
    if (!cjk) console.log(`      (Chinese letters skipped: npm package ${CJK_FONT_PACKAGE} is not installed)`);
  });

  describe("catalog", function () {
    it("has every notice type of issues 15 and 18 (relief), each with texts in en and zh-CN for every channel it has a form for", function () {
      expect([...TEMPLATE_IDS].sort()).to.deep.equal(
        [
          "classification.changed",
          "custom.request",
          "default.notice",
          "demand.letter",
          "holiday.confirmation",
          "penalty.assessed",
          "promise.broken",
          "promise.confirmation",
          "reminder.before-due",
          "reminder.due",
          "reminder.overdue",
          "restructure.proposed",
          "settlement.confirmation",
          "settlement.offer",
          "arrears.confirmation",
          "arrears.broken",
        ].sort(),
      );
      for (const language of LANGUAGES) {
        for (const id of TEMPLATE_IDS) {
          const t = LANGUAGE_PACKS[language]!.templates[id].default;
          expect(t.subject, `${id} ${language} subject`).to.be.a("string").and.not.equal("");
          expect(t.body, `${id} ${language} body`).to.be.a("string").and.not.equal("");
          expect(t.sms !== undefined, `${id} ${language}: an sms text exactly when it has an sms form`).to.equal(TEMPLATES[id].channels.includes("sms"));
        }
      }
    });

    /**
     * A notice records its template's version: a text changed without a new version would make two
     * different notices look alike. The hash covers the template's texts in every language and
     * jurisdiction, the shared parts it prints (greeting, labels, disclosures) and its catalog entry.
     * When a text changes: bump the template's version in catalog.ts and update its hash here.
     */
    it("pins each template's version to a hash of its texts", function () {
      const PINNED: Record<string, [number, string]> = {
        "reminder.before-due": [1, "a1c01008e7c5e39b"],
        "reminder.due": [1, "3109cfd4ae0f7645"],
        "reminder.overdue": [1, "b17f313033ab6dbc"],
        "penalty.assessed": [1, "20ecba2ae611d113"],
        "classification.changed": [1, "a25173be18cdf3a1"],
        "default.notice": [1, "2563986a82cf58de"],
        "demand.letter": [1, "af6da87b57cccc72"],
        "restructure.proposed": [1, "6d0e5049d6957aa6"],
        "promise.confirmation": [1, "5074cfe8b77735a4"],
        "promise.broken": [1, "9dc152eb605b9d79"],
        "custom.request": [1, "5b3967cb13e7bd3e"],
        "holiday.confirmation": [1, "b8cbd1e93a98ca6f"],
        "settlement.offer": [1, "ffc19c076395b300"],
        "settlement.confirmation": [1, "573a194221e3b0a1"],
        "arrears.confirmation": [1, "163b5cb2aeeb9614"],
        "arrears.broken": [1, "25774657e861d74f"],
      };
      const got: Record<string, [number, string]> = {};
      for (const id of TEMPLATE_IDS) {
        const { version, ...entry } = TEMPLATES[id];
        const texts = Object.values(LANGUAGE_PACKS).map((p) => ({ language: p.language, template: p.templates[id], common: p.common }));
        got[id] = [version, crypto.createHash("sha256").update(canonicalJson({ entry, texts })).digest("hex").slice(0, 16)];
      }
      expect(got, "a template's texts changed: bump its version in src/notify/templates/catalog.ts, then pin the new hash here").to.deep.equal(PINNED);
    });
  });

  describe("every template × language × jurisdiction × channel", function () {
    for (const language of LANGUAGES) {
      for (const id of TEMPLATE_IDS) {
        it(`${id} in ${language}`, async function () {
          this.timeout(60_000);
          for (const jurisdiction of JURISDICTIONS) {
            for (const channel of CHANNELS) {
              const p = { template: id, channel, language, jurisdiction };
              if (!TEMPLATES[id].channels.includes(channel)) {
                await expectTemplateError(render(p), new RegExp(`template ${id.replace(".", "\\.")} has no ${channel} form`));
                continue;
              }
              if (channel === "letter" && language === "zh-CN" && !cjk) continue;
              const r = await render(p);
              const where = `${id} ${language} ${jurisdiction || "default"} ${channel}`;
              expect(r.template, where).to.equal(id);
              expect(r.templateVersion, where).to.equal(TEMPLATES[id].version);
              expect(r.language, where).to.equal(language);
              expect(r.bytes.length, where).to.be.greaterThan(20);
              if (channel === "letter") {
                expect(r.contentType).to.equal("application/pdf");
                expect(text(r.bytes.subarray(0, 5))).to.equal("%PDF-");
                expect(await pdfText(r.bytes), where).to.include(DATA.reference);
              } else {
                const body = text(r.bytes);
                expect(body, where).to.include(DATA.reference);
                expect(body, where).not.to.match(/\{[A-Za-z]+\}/); // no argument left unformatted
                if (channel === "sms") expect(r.contentType).to.equal("text/plain; charset=utf-8");
                if (channel === "email") expect(body).to.equal(`Subject: ${r.subject}\n\n${r.text}`);
                if (channel === "webhook") expect(JSON.parse(body)).to.include({ template: id, templateVersion: TEMPLATES[id].version, language, loanId: "42", reference: DATA.reference });
              }
            }
          }
        });
      }
    }
  });

  describe("amounts", function () {
    const above53 = 9_007_199_254_740_993n; // 2^53 + 1: not a double

    it("builds the decimal string from the bigint, digit by digit", function () {
      expect(decimalString(123_456n, 2)).to.equal("1234.56");
      expect(decimalString(5n, 3)).to.equal("0.005");
      expect(decimalString(7n, 0)).to.equal("7");
      expect(decimalString(0n, 18)).to.equal("0.000000000000000000");
      expect(decimalString(above53, 2)).to.equal("90071992547409.93");
      expect(() => decimalString(-1n, 2)).to.throw(TemplateError, /negative/);
    });

    it("formats ISO currencies exactly with their minor digits: CNY, USD, JPY, above 2^53", function () {
      expect(formatAmount(above53, { code: "CNY" }, "zh-CN")).to.equal("¥90,071,992,547,409.93");
      expect(formatAmount(above53, { code: "CNY" }, "en")).to.equal("CN¥90,071,992,547,409.93");
      expect(formatAmount(above53, { code: "USD" }, "en")).to.equal("$90,071,992,547,409.93");
      expect(formatAmount(above53, { code: "USD" }, "zh-CN")).to.equal("US$90,071,992,547,409.93");
      expect(formatAmount(above53, { code: "JPY" }, "en")).to.equal("¥9,007,199,254,740,993");
      expect(formatAmount(above53, { code: "JPY" }, "zh-CN")).to.equal("JP¥9,007,199,254,740,993");
      expect(formatAmount(5n, { code: "CNY" }, "zh-CN")).to.equal("¥0.05");
      expect(formatAmount(1_234_500n, { code: "BHD" }, "en")).to.equal("BHD\u00a01,234.500");
      // The same value through a double loses its last digits: what the decimal string avoids.
      expect(new Intl.NumberFormat("en", { style: "currency", currency: "JPY" }).format(Number(above53))).to.equal("¥9,007,199,254,740,992");
    });

    it("formats 18-decimal tokens exactly: one wei, 2^64 wei, 2^256-1 wei", function () {
      const dai = { token: "0x6B175474E89094C44Da98b954EedeAC495271d0F", symbol: "DAI", decimals: 18 };
      expect(formatAmount(1n, dai, "en")).to.equal("0.000000000000000001");
      expect(formatAmount(10n ** 18n, dai, "en")).to.equal("1.00");
      expect(formatAmount(1n << 64n, dai, "en")).to.equal("18.446744073709551616");
      expect(formatAmount(123_456_789_012_345_678_901_234_567_890n, dai, "zh-CN")).to.equal("123,456,789,012.34567890123456789");
      expect(formatAmount((1n << 256n) - 1n, dai, "en")).to.equal("115,792,089,237,316,195,423,570,985,008,687,907,853,269,984,665,640,564,039,457.584007913129639935");
      const usdc = { token: "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", symbol: "USDC", decimals: 6 };
      expect(formatAmount(1_500_000n, usdc, "en")).to.equal("1.50");
      expect(() => formatAmount(1n, { ...dai, decimals: 78 }, "en")).to.throw(TemplateError, /decimals must be an integer from 0 to 77/);
    });

    it("prints token amounts with the token's symbol, and the webhook carries minor units beside the formatted amount", async function () {
      const data: NoticeData = { ...DATA, currency: { token: "0x6B175474E89094C44Da98b954EedeAC495271d0F", symbol: "DAI", decimals: 18 }, amountOverdue: (1n << 64n) + 1n };
      const sms = await render({ template: "reminder.overdue", channel: "sms", data });
      expect(text(sms.bytes)).to.include("18.446744073709551617 DAI is overdue");
      const hook = JSON.parse(text((await render({ template: "reminder.overdue", channel: "webhook", data, language: "zh-CN" })).bytes));
      expect(hook.amounts.amountOverdue).to.deep.equal({ minor: "18446744073709551617", formatted: "18.446744073709551617 DAI" });
      expect(hook.currency).to.deep.equal({ token: "0x6B175474E89094C44Da98b954EedeAC495271d0F", symbol: "DAI", decimals: 18 });
    });

    it("refuses an unknown currency code and a negative amount with a TemplateError", async function () {
      await expectTemplateError(render({ template: "custom.request", channel: "sms", data: { ...DATA, currency: { code: "yuan" } } }), /currency "yuan" is not an ISO 4217 code/);
      await expectTemplateError(render({ template: "custom.request", channel: "sms", data: { ...DATA, amountDue: -5n } }), /negative/);
    });
  });

  describe("dates", function () {
    it("prints a due date as the borrower's calendar shows it: Asia/Shanghai and America/New_York differ around midnight", async function () {
      // 2024-03-01T16:30Z: already March 2 in Shanghai (00:30), still March 1 in New York (11:30).
      const late = { ...DATA, dueDate: MAR_1 + 16n * 3600n + 1800n };
      // 2024-03-01T03:00Z: March 1 in Shanghai (11:00), still February 29 in New York (22:00).
      const early = { ...DATA, dueDate: MAR_1 + 3n * 3600n };
      const due = async (data: NoticeData, language: string, timeZone: string) => (await render({ template: "reminder.due", channel: "sms", language, timeZone, data })).text!;
      expect(await due(late, "en", "Asia/Shanghai")).to.include("due today, March 2, 2024");
      expect(await due(late, "en", "America/New_York")).to.include("due today, March 1, 2024");
      expect(await due(late, "zh-CN", "Asia/Shanghai")).to.include("今日（2024年3月2日）到期");
      expect(await due(late, "zh-CN", "America/New_York")).to.include("今日（2024年3月1日）到期");
      expect(await due(early, "en", "Asia/Shanghai")).to.include("March 1, 2024");
      expect(await due(early, "en", "America/New_York")).to.include("February 29, 2024");
    });

    it("refuses an unknown time zone", async function () {
      await expectTemplateError(render({ template: "reminder.due", channel: "sms", timeZone: "Mars/Olympus" }), /time zone "Mars\/Olympus"/);
    });

    it("gives the demand letter 15 days from its date unless the caller sets payBy", async function () {
      const hook = JSON.parse(text((await render({ template: "demand.letter", channel: "webhook" })).bytes));
      expect(hook.dates.payBy.at).to.equal(Number(DATA.asOf + 15n * DAY));
      const set = JSON.parse(text((await render({ template: "demand.letter", channel: "webhook", data: { ...DATA, payBy: MAR_1 + 30n * DAY } })).bytes));
      expect(set.dates.payBy).to.deep.equal({ at: Number(MAR_1 + 30n * DAY), formatted: "March 31, 2024" });
    });
  });

  describe("jurisdictions and languages", function () {
    const disclosureUS = "This is an attempt to collect a debt";
    const rosenthal = "Rosenthal Fair Debt Collection Practices Act";
    const emailIn = async (jurisdiction: string, template = "reminder.overdue") => (await render({ template, channel: "email", jurisdiction })).text!;

    it("resolves the exact jurisdiction, then its country, then the default", async function () {
      expect(await emailIn("US-CA")).to.include(disclosureUS).and.include(rosenthal);
      expect(await emailIn("us-ca")).to.include(rosenthal);
      expect(await emailIn("US-NY")).to.include(disclosureUS).and.not.include(rosenthal);
      expect(await emailIn("US")).to.include(disclosureUS).and.not.include(rosenthal);
      expect(await emailIn("CN-GD")).to.include("official channels").and.not.include(disclosureUS);
      expect(await emailIn("DE")).to.not.include(disclosureUS).and.not.include("official channels");
      expect(await emailIn("")).to.not.include(disclosureUS);
      // Only collection notices carry the disclosure.
      expect(await emailIn("US-CA", "reminder.before-due")).to.not.include(disclosureUS);
    });

    it("signs SMS the Chinese way in CN (【lender】 first), and overrides a template's body per jurisdiction", async function () {
      expect((await render({ template: "reminder.overdue", channel: "sms", jurisdiction: "CN-BJ", language: "zh-CN" })).text).to.match(/^【Acme Credit】您的贷款LN-2024-0042已逾期10天/);
      expect((await render({ template: "reminder.overdue", channel: "sms", jurisdiction: "US" })).text).to.match(/^Acme Credit: Loan LN-2024-0042 is 10 days past due/);
      expect((await render({ template: "demand.letter", channel: "email", jurisdiction: "CN", language: "zh-CN" })).text).to.include("《中华人民共和国民法典》第五百七十七条");
      expect((await render({ template: "demand.letter", channel: "email", jurisdiction: "US", language: "zh-CN" })).text).to.not.include("民法典");
    });

    it("falls back zh-* to zh-CN and any other language to en, and says which it used", async function () {
      const sms = (language: string) => render({ template: "custom.request", channel: "sms", language });
      expect((await sms("zh")).language).to.equal("zh-CN");
      expect((await sms("zh-TW")).language).to.equal("zh-CN");
      expect((await sms("zh-Hans-SG")).language).to.equal("zh-CN");
      expect((await sms("en-GB")).language).to.equal("en");
      expect((await sms("fr")).language).to.equal("en");
      expect((await sms("fr")).text).to.include("the amount now due is CN¥1,234.56");
    });

    it("uses the language's own default lender name when the data has none", async function () {
      const { lenderName: _, ...data } = DATA;
      expect((await render({ template: "custom.request", channel: "sms", data, language: "zh-CN" })).text).to.match(/^贷款机构：/);
      expect((await render({ template: "custom.request", channel: "sms", data })).text).to.match(/^Your lender: /);
    });
  });

  describe("errors", function () {
    it("names an unknown template, a malformed language tag or jurisdiction", async function () {
      await expectTemplateError(render({ template: "reminder.tomorrow", channel: "sms" }), /unknown template "reminder\.tomorrow" \(known: reminder\.before-due, /);
      await expectTemplateError(render({ template: "reminder.due", channel: "sms", language: "english please" }), /unknown language "english please"/);
      await expectTemplateError(render({ template: "reminder.due", channel: "sms", language: "" }), /unknown language ""/);
      await expectTemplateError(render({ template: "reminder.due", channel: "sms", jurisdiction: "California" }), /unknown jurisdiction "California"/);
    });

    it("names the data field a template needs", async function () {
      const { dpd: _, ...data } = DATA;
      await expectTemplateError(render({ template: "reminder.overdue", channel: "email", data }), /^template reminder\.overdue needs data\.dpd$/);
      await expectTemplateError(render({ template: "classification.changed", channel: "email", data: { ...DATA, classificationTo: 9 } }), /classification 9 is not one of 0\.\.4/);
      await expectTemplateError(render({ template: "reminder.due", channel: "sms", data: { ...DATA, reference: "two\nlines" } }), /data\.reference must be one line/);
    });

    it("refuses a channel the template has no form for", async function () {
      await expectTemplateError(render({ template: "demand.letter", channel: "sms" }), /template demand\.letter has no sms form \(it has letter, email, webhook\)/);
    });
  });

  describe("webhook payload", function () {
    it("is canonical JSON: keys sorted at every level, amounts in minor units and formatted, dates in chain seconds and formatted", async function () {
      const r = await render({ template: "reminder.overdue", channel: "webhook", jurisdiction: "CN", kind: "notice" });
      const body = text(r.bytes);
      const parsed = JSON.parse(body);
      expect(canonicalJson(parsed)).to.equal(body);
      expect(r.contentType).to.equal("application/json");
      expect(parsed).to.include({ type: "duetrail.notice", kind: "notice", jurisdiction: "CN", timeZone: "Asia/Shanghai" });
      expect(parsed.amounts.amountOverdue).to.deep.equal({ minor: "234567", formatted: "CN¥2,345.67" });
      expect(parsed.dates.dueDate).to.deep.equal({ at: Number(MAR_1), formatted: "March 1, 2024" });
      expect(parsed.figures).to.include({ installment: 2, dpd: 10 });
      expect(parsed.text).to.equal(r.text);
    });
  });

  describe("letters (PDF)", function () {
    it("an English demand letter carries its amounts, dates and the loan's reference, read back from the PDF", async function () {
      const data = { ...DATA, amountOverdue: 9_007_199_254_740_993n, penalty: 12_345n };
      const r = await render({ template: "demand.letter", channel: "letter", data, jurisdiction: "US-CA", timeZone: "America/Los_Angeles" });
      const t = await pdfText(r.bytes);
      expect(t).to.include("Letter of demand: loan LN-2024-0042");
      expect(t).to.include("CN¥90,071,992,547,409.93");
      expect(t).to.include("CN¥123.45");
      // Dated asOf, 2024-03-11T00:00Z: still March 10 in Los Angeles; pay by 15 days later.
      expect(t).to.include("Date: March 10, 2024");
      expect(t).to.include("by March 25, 2024");
    });

    it("a Chinese letter draws its text with the CJK font (amounts, dates and reference read back)", async function () {
      if (!cjk) this.skip();
      const r = await render({ template: "demand.letter", channel: "letter", language: "zh-CN", jurisdiction: "CN" });
      const t = await pdfText(r.bytes);
      expect(t).to.include("律师函：贷款LN-2024-0042");
      expect(t).to.include("¥2,345.67");
      expect(t).to.include("¥34.56");
      expect(t).to.include("2024年3月26日"); // payBy: asOf + 15 days
      expect(t).to.include("《中华人民共和国民法典》第五百七十七条");
    });

    it("every character of the Chinese texts has a glyph in the CJK font", function () {
      if (!cjk) this.skip();
      // fontkit is pdfkit's font engine (a dependency of pdfkit): what draws the letters.
      const fontkit = require("fontkit") as { create(data: Buffer): { hasGlyphForCodePoint(c: number): boolean } };
      const font = fontkit.create(cjkFont()!.regular);
      const pack = LANGUAGE_PACKS["zh-CN"]!;
      const missing = new Set<string>();
      for (const ch of JSON.stringify([pack.templates, pack.common])) if (ch.trim() && !font.hasGlyphForCodePoint(ch.codePointAt(0)!)) missing.add(ch);
      expect([...missing]).to.deep.equal([]);
    });

    it("fails with a TemplateError naming the font package when a letter needs it and none is installed", async function () {
      if (cjk) this.skip();
      await expectTemplateError(render({ template: "demand.letter", channel: "letter", language: "zh-CN" }), new RegExp(`no CJK font is installed \\(npm package ${CJK_FONT_PACKAGE}\\)`));
    });

    it("unpacks a WOFF font once (fontkit reads a WOFF slowly) and names a damaged one", function () {
      const damaged = Buffer.alloc(64);
      damaged.write("wOFF", 0, "latin1");
      damaged.writeUInt16BE(1, 12); // one table, whose bytes are not there
      damaged.writeUInt32BE(60, 48); // at 60
      damaged.writeUInt32BE(40, 52); // 40 bytes packed
      damaged.writeUInt32BE(100, 56); // 100 unpacked
      expect(() => unpackWoff(damaged)).to.throw(TemplateError, /^the CJK font is not a valid WOFF file: /);
      const ttf = Buffer.from("\u0000\u0001\u0000\u0000 not a woff", "latin1");
      expect(unpackWoff(ttf)).to.equal(ttf);
    });

    it("is deterministic: the same input gives the same bytes; another date gives others", async function () {
      const jobs: Partial<RenderNoticeParameters>[] = [{ language: "en" }, ...(cjk ? [{ language: "zh-CN" }] : [])];
      for (const job of jobs) {
        const a = await render({ template: "default.notice", channel: "letter", ...job });
        const b = await render({ template: "default.notice", channel: "letter", ...job });
        expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes)), `${job.language}: same bytes`).to.equal(true);
        const c = await render({ template: "default.notice", channel: "letter", ...job, data: { ...DATA, asOf: DATA.asOf + 1n } });
        expect(Buffer.from(a.bytes).equals(Buffer.from(c.bytes)), `${job.language}: another date`).to.equal(false);
      }
      const w1 = await render({ template: "promise.broken", channel: "webhook" });
      const w2 = await render({ template: "promise.broken", channel: "webhook" });
      expect(text(w1.bytes)).to.equal(text(w2.bytes));
    });

    it("prints on A4, and on US Letter in the US", async function () {
      const size = async (jurisdiction: string) => /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(text((await render({ template: "custom.request", channel: "letter", jurisdiction })).bytes))!.slice(1).join("x");
      expect(await size("CN")).to.equal("595.28x841.89");
      expect(await size("US-NY")).to.equal("612x792");
    });
  });

  describe("address sheet", function () {
    it("carries the address and the letter's reference, nothing else of the letter; deterministic", async function () {
      const p = { postalAddress: "Jane Doe\n1 Market St\nSan Francisco, CA 94105", reference: DATA.reference, language: "en", jurisdiction: "US-CA", asOf: DATA.asOf };
      const a = await renderAddressSheet(p);
      const t = await pdfText(a);
      expect(t).to.include("1 Market St").and.include("San Francisco, CA 94105").and.include(`For the letter on loan ${DATA.reference}`);
      expect(t).to.not.include("¥");
      expect(Buffer.from(await renderAddressSheet(p)).equals(Buffer.from(a))).to.equal(true);
      // The letter itself never carries the address.
      expect(await pdfText((await render({ template: "default.notice", channel: "letter" })).bytes)).to.not.include("Market St");
    });

    it("prints a Chinese address with the CJK font", async function () {
      if (!cjk) this.skip();
      const t = await pdfText(await renderAddressSheet({ postalAddress: "广东省广州市天河区\n人民路1号", reference: DATA.reference, language: "zh-CN", jurisdiction: "CN", asOf: DATA.asOf }));
      expect(t).to.include("人民路1号").and.include(`随附贷款${DATA.reference}的信函`);
    });

    it("refuses an empty address without repeating any of it", async function () {
      await expectTemplateError(renderAddressSheet({ postalAddress: " \n ", reference: "x", language: "en", asOf: 0n }), /^the address sheet needs a postal address$/);
    });
  });
});
