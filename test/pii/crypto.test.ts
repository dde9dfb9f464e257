/**
 * Encryption at rest of contact data: AES-256-GCM round trip under the current key and after a
 * rotation, tamper detection (a flipped byte, a value moved to another row), a row under an unknown
 * key id, and PII_KEY parsed through src/config, closed by default.
 */
import crypto from "node:crypto";
import { inspect } from "node:util";
import { expect } from "chai";
import { ConfigError, loadSettings } from "../../src/config";
import { open, parsePiiKey, piiKeyring, seal, PiiKey, type PiiKeyring } from "../../src/pii/crypto";
import { PiiDecryptError, PiiKeyUnknownError } from "../../src/pii/errors";

const keyA = crypto.randomBytes(32);
const keyB = crypto.randomBytes(32);
const ring: PiiKeyring = { current: new PiiKey("k2", keyB), previous: new PiiKey("k1", keyA) };
const ROW = "lender 0xaa, borrower 0x01";
const SECRET = JSON.stringify({ email: "wang.fang@example.cn", phone: "+8613800138000" });

describe("pii/crypto", function () {
  it("round trip: seals under the current key with a fresh IV each time, opens with the same row binding", function () {
    const a = seal(ring, SECRET, "row-1");
    const b = seal(ring, SECRET, "row-1");
    expect(a.keyId).to.equal("k2");
    expect(a.payload).not.to.equal(b.payload); // random IV
    expect(Buffer.from(a.payload, "base64").toString("latin1")).not.to.include("wang.fang");
    expect(open(ring, a, "row-1", ROW)).to.equal(SECRET);
    expect(open(ring, b, "row-1", ROW)).to.equal(SECRET);
  });

  it("opens a row sealed under the previous key (rotation)", function () {
    const old = seal({ current: new PiiKey("k1", keyA) }, SECRET, "row-1");
    expect(old.keyId).to.equal("k1");
    expect(open(ring, old, "row-1", ROW)).to.equal(SECRET);
  });

  it("detects a flipped byte anywhere (IV, tag or ciphertext) and names the row, never the plaintext", function () {
    const s = seal(ring, SECRET, "row-1");
    const bytes = Buffer.from(s.payload, "base64");
    for (const at of [0, 12, 28, bytes.length - 1]) {
      const bad = Buffer.from(bytes);
      bad[at]! ^= 0x01;
      let err: unknown;
      try {
        open(ring, { keyId: "k2", payload: bad.toString("base64") }, "row-1", ROW);
      } catch (e) {
        err = e;
      }
      expect(err, `byte ${at}`).to.be.instanceOf(PiiDecryptError);
      const m = (err as Error).message;
      expect(m).to.include(ROW).and.include('"k2"');
      expect(m).not.to.include("wang.fang").and.not.to.include("+8613800138000");
    }
    expect(() => open(ring, { keyId: "k2", payload: "AAAA" }, "row-1", ROW)).to.throw(PiiDecryptError, ROW);
  });

  it("refuses a value moved onto another row (the row binding is authenticated)", function () {
    const s = seal(ring, SECRET, "row-1");
    expect(() => open(ring, s, "row-2", ROW)).to.throw(PiiDecryptError);
  });

  it("a wrong key id: unknown to the keyring, or a different key under the same id", function () {
    const s = seal(ring, SECRET, "row-1");
    expect(() => open({ current: new PiiKey("k3", keyA) }, s, "row-1", ROW)).to.throw(PiiKeyUnknownError, /sealed under key id "k2".*known: "k3"/);
    expect(() => open({ current: new PiiKey("k2", keyA) }, s, "row-1", ROW)).to.throw(PiiDecryptError, ROW);
  });

  it("parses <id>:<hex> and <id>:<base64>, and says what is wrong otherwise without quoting the key", function () {
    const hex = parsePiiKey(`2026-12:${keyA.toString("hex")}`) as PiiKey;
    expect(hex.id).to.equal("2026-12");
    expect(hex.key.equals(keyA)).to.equal(true);
    const b64 = parsePiiKey(`k1:${keyA.toString("base64")}`) as PiiKey;
    expect(b64.key.equals(keyA)).to.equal(true);
    for (const bad of [keyA.toString("base64"), `k1:${keyA.subarray(0, 16).toString("hex")}`, `k 1:${keyA.toString("hex")}`, "k1:"]) {
      const r = parsePiiKey(bad);
      expect(r, bad).to.have.property("problem");
      expect((r as { problem: string }).problem).not.to.include(keyA.toString("hex"));
    }
  });

  it("never prints the key bytes (JSON, util.inspect)", function () {
    const k = new PiiKey("k1", keyA);
    expect(JSON.stringify({ k })).not.to.include(keyA.toString("hex")).and.not.to.include(keyA.toString("base64"));
    expect(inspect({ k })).to.include("PiiKey(k1)").and.not.to.include(keyA.toString("hex"));
  });

  describe("PII_KEY through src/config", function () {
    const keys = ["piiKey", "piiKeyPrevious"] as const;

    it("is closed by default: no PII_KEY, no keyring (a ConfigError naming PII_KEY)", function () {
      expect(() => piiKeyring(loadSettings(keys, {}, {}))).to.throw(ConfigError, /PII_KEY is not set/);
    });

    it("a malformed PII_KEY or PII_KEY_PREVIOUS is a ConfigError naming it, not quoting it", function () {
      const value = `k1:${"ab".repeat(16)}`;
      let err: unknown;
      try {
        loadSettings(keys, {}, { PII_KEY: value });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.match(/^PII_KEY must carry a 32-byte key/).and.not.include("abab");
      expect(() => loadSettings(keys, {}, { PII_KEY: `k1:${keyA.toString("hex")}`, PII_KEY_PREVIOUS: "nope" })).to.throw(ConfigError, /^PII_KEY_PREVIOUS must be/);
    });

    it("is a secret: refused as a flag", function () {
      expect(() => loadSettings(keys, { piiKey: `k1:${keyA.toString("hex")}` }, {})).to.throw(ConfigError, /PII_KEY is a secret/);
    });

    it("gives the keyring; a previous key with the current key's id is refused", function () {
      const r = piiKeyring(loadSettings(keys, {}, { PII_KEY: `k2:${keyB.toString("base64")}`, PII_KEY_PREVIOUS: `k1:${keyA.toString("hex")}` }));
      expect(r.current.id).to.equal("k2");
      expect(r.previous?.id).to.equal("k1");
      expect(() => piiKeyring(loadSettings(keys, {}, { PII_KEY: `k1:${keyB.toString("hex")}`, PII_KEY_PREVIOUS: `k1:${keyA.toString("hex")}` }))).to.throw(ConfigError, /same key id "k1"/);
    });
  });
});
