/**
 * The letter channel: the rendered PDF stored in the evidence store under its SHA-256, and the
 * print pack written (the letter, the address sheet from the injected renderer, one listing line
 * without the address), once per notice however often it is sent.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ConfigError, loadSettings } from "../../../src/config";
import { artifactPath } from "../../../src/evidence/store";
import { createLetterChannel, LETTER_SETTINGS, LETTERS_LISTING, type AddressSheetContext, type LetterListing } from "../../../src/notify/channels/letter";
import { ChannelSendError, TemplateError } from "../../../src/notify/errors";
import { CONTACT, CONTACT_NEEDLES, outgoing, rejection, tmpDir } from "./helpers";

describe("notify/channels/letter", function () {
  let root: string;
  let evidenceDir: string;
  let lettersDir: string;
  let sheets: { address: string; context: AddressSheetContext }[];
  const renderAddressSheet = (address: string, context: AddressSheetContext) => {
    sheets.push({ address, context });
    return Buffer.from(`%PDF-1.7\n% address sheet ${context.noticeId}\n%%EOF\n`);
  };
  const AT = new Date("2025-03-02T08:00:00.000Z");

  beforeEach(function () {
    root = tmpDir("letters");
    evidenceDir = path.join(root, "evidence");
    lettersDir = path.join(root, "letters");
    sheets = [];
  });

  const channel = () => createLetterChannel(loadSettings(LETTER_SETTINGS, {}, { EVIDENCE_DIR: evidenceDir, LETTERS_DIR: lettersDir }), { renderAddressSheet, now: () => AT });
  const listing = () =>
    fs
      .readFileSync(path.join(lettersDir, LETTERS_LISTING), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as LetterListing);

  it("stores the letter in the evidence store under the SHA-256 of its bytes and writes the print pack", async function () {
    const m = outgoing("letter");
    expect(await channel().send(m)).to.deep.equal({ delivered: true });

    const hex = crypto.createHash("sha256").update(m.rendered.bytes).digest("hex");
    expect(fs.readFileSync(artifactPath(evidenceDir, hex)).equals(Buffer.from(m.rendered.bytes))).to.equal(true);
    expect(fs.readFileSync(path.join(lettersDir, `${m.id}.pdf`)).equals(Buffer.from(m.rendered.bytes))).to.equal(true);

    expect(sheets).to.deep.equal([{ address: CONTACT.postalAddress, context: { noticeId: m.id, loanId: 42n, lender: m.lender, language: "en" } }]);
    const sheet = path.join(lettersDir, `${m.id}.address.pdf`);
    expect(fs.readFileSync(sheet, "utf8")).to.contain(`address sheet ${m.id}`);
    expect(fs.statSync(sheet).mode & 0o077).to.equal(0); // personal data: the owner only

    expect(listing()).to.deep.equal([
      { noticeId: m.id, loanId: "42", lender: m.lender, template: "demand", evidenceHash: `0x${hex}`, file: `${m.id}.pdf`, createdAt: AT.toISOString() },
    ]);
    // Nothing personal in the listing or the evidence store.
    const listed = fs.readFileSync(path.join(lettersDir, LETTERS_LISTING), "utf8");
    for (const needle of CONTACT_NEEDLES) expect(listed).not.to.contain(needle);
    expect(fs.readdirSync(evidenceDir)).to.deep.equal([hex]);
    expect(fs.readdirSync(lettersDir).filter((f) => f.startsWith(".tmp-"))).to.deep.equal([]);
  });

  it("sending a notice again (a retry after a crash) rewrites the same files and lists it once, also in a new process", async function () {
    const m = outgoing("letter");
    const other = outgoing("letter");
    const first = channel();
    await first.send(m);
    await first.send(m);
    await channel().send(m); // a fresh channel reads letters.jsonl back
    await channel().send(other);
    expect(listing().map((l) => l.noticeId)).to.deep.equal([m.id, other.id]);
  });

  it("lists concurrent letters one line each", async function () {
    const c = channel();
    const ms = Array.from({ length: 20 }, () => outgoing("letter"));
    await Promise.all([...ms, ...ms].map((m) => c.send(m)));
    expect(listing().map((l) => l.noticeId).sort()).to.deep.equal(ms.map((m) => m.id).sort());
  });

  it("starts its line on a new line after a listing cut by a crash mid-line", async function () {
    fs.mkdirSync(lettersDir, { recursive: true });
    fs.writeFileSync(path.join(lettersDir, LETTERS_LISTING), '{"noticeId":"ntc_cut","loanId":"4');
    const m = outgoing("letter");
    await channel().send(m);
    const lines = fs.readFileSync(path.join(lettersDir, LETTERS_LISTING), "utf8").split("\n");
    expect(lines[0]).to.equal('{"noticeId":"ntc_cut","loanId":"4');
    expect((JSON.parse(lines[1]!) as LetterListing).noticeId).to.equal(m.id);
  });

  it("a notice without a postal address, or whose sheet does not render, is not retryable and names no contact point", async function () {
    const noAddress = await rejection(channel().send(outgoing("letter", { to: { email: CONTACT.email } })));
    expect(noAddress).to.be.instanceOf(ChannelSendError);
    expect((noAddress as ChannelSendError).retryable).to.equal(false);
    expect(noAddress.message).to.contain("no postal address");

    const broken = createLetterChannel(loadSettings(LETTER_SETTINGS, {}, { EVIDENCE_DIR: evidenceDir, LETTERS_DIR: lettersDir }), {
      renderAddressSheet: (address) => {
        throw new TemplateError(`address sheet: line too long: ${address.split("\n")[1]}`);
      },
    });
    const err = await rejection(broken.send(outgoing("letter")));
    expect((err as ChannelSendError).retryable).to.equal(false);
    expect(err.message).to.contain("line too long");
    for (const needle of CONTACT_NEEDLES) expect(err.message).not.to.contain(needle);
    expect(fs.existsSync(evidenceDir)).to.equal(false);
  });

  it("a letters folder it cannot write is a retryable error naming the cause", async function () {
    fs.writeFileSync(lettersDir, "a file where the folder should be");
    const err = await rejection(channel().send(outgoing("letter")));
    expect(err).to.be.instanceOf(ChannelSendError);
    expect((err as ChannelSendError).retryable).to.equal(true);
    expect(err.message).to.contain("cannot store the letter").and.match(/EEXIST|ENOTDIR/);
  });

  it("needs an address sheet renderer", function () {
    const settings = loadSettings(LETTER_SETTINGS, {}, {});
    expect(settings.lettersDir).to.equal(path.join("data", "letters"));
    expect(() => createLetterChannel(settings, {} as never)).to.throw(ConfigError, /renderAddressSheet/);
  });
});
