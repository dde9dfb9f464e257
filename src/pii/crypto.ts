/**
 * Encryption at rest of personal data (borrower contact points): AES-256-GCM with a random 12-byte
 * IV per value and its 16-byte authentication tag, under a key named by an id that is stored with
 * each row, so the key can be rotated (`borrowers rekey`) while old rows still open.
 *
 * Keys come from the environment only, through src/config: `PII_KEY=<id>:<key>` (the key: 32 bytes
 * as 64 hex digits or as base64) and, while rotating, `PII_KEY_PREVIOUS` in the same form. The
 * sealed form is one base64 text: IV (12 bytes) ‖ tag (16 bytes) ‖ ciphertext. The caller binds
 * each value to its row with `aad` (additional authenticated data), so a value copied onto another
 * row does not open there either.
 */
import crypto from "node:crypto";
import { inspect } from "node:util";
import { ConfigError } from "../config/errors";
import { PiiDecryptError, PiiKeyUnknownError } from "./errors";

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A key id: what each row stores to say which key sealed it. */
const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;

/**
 * One data key and its id. The key bytes never print: JSON and util.inspect show the id only (a
 * config object logged by mistake leaks nothing).
 */
export class PiiKey {
  constructor(
    readonly id: string,
    readonly key: Buffer,
  ) {}
  toJSON(): { id: string; key: string } {
    return { id: this.id, key: "[redacted]" };
  }
  [inspect.custom](): string {
    return `PiiKey(${this.id})`;
  }
}

/** The keys a process holds: `current` seals, `current` and `previous` open. */
export interface PiiKeyring {
  current: PiiKey;
  previous?: PiiKey;
}

/** A sealed value as stored: the id of the key that sealed it, and IV ‖ tag ‖ ciphertext in base64. */
export interface Sealed {
  keyId: string;
  payload: string;
}

/**
 * Parses `<id>:<key>` (the key as 64 hex digits or base64 of 32 bytes).
 * @returns the key, or the reason it is malformed (which never quotes the key).
 */
export function parsePiiKey(text: string): PiiKey | { problem: string } {
  const colon = text.indexOf(":");
  if (colon < 0) return { problem: "must be <key id>:<32-byte key as 64 hex digits or base64> (no key id before a colon)" };
  const id = text.slice(0, colon);
  const material = text.slice(colon + 1).trim();
  if (!KEY_ID.test(id)) return { problem: "must start with a key id of 1 to 32 letters, digits, '.', '_' or '-', then a colon" };
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(material)) key = Buffer.from(material, "hex");
  else if (/^[A-Za-z0-9+/]{43}=?$|^[A-Za-z0-9_-]{43}$/.test(material)) key = Buffer.from(material, material.includes("-") || material.includes("_") ? "base64url" : "base64");
  if (!key || key.length !== KEY_BYTES) return { problem: `must carry a ${KEY_BYTES}-byte key after the id, as 64 hex digits or base64 (e.g. openssl rand -base64 32)` };
  return new PiiKey(id, key);
}

/**
 * The keyring from the parsed settings. Closed by default: without PII_KEY nothing may read or
 * write contact data.
 * @throws ConfigError naming PII_KEY when it is unset, or when PII_KEY_PREVIOUS has the same id.
 */
export function piiKeyring(settings: { piiKey?: PiiKey; piiKeyPrevious?: PiiKey }): PiiKeyring {
  const { piiKey, piiKeyPrevious } = settings;
  if (!piiKey) throw new ConfigError("PII_KEY is not set: borrower contact data is encrypted at rest, set PII_KEY=<key id>:<32-byte key, hex or base64> in the environment (or PII_KEY_FILE)");
  if (piiKeyPrevious && piiKeyPrevious.id === piiKey.id) throw new ConfigError(`PII_KEY_PREVIOUS has the same key id "${piiKey.id}" as PII_KEY: a rotated key needs a new id`);
  return piiKeyPrevious ? { current: piiKey, previous: piiKeyPrevious } : { current: piiKey };
}

/** Seals `plaintext` under the keyring's current key, bound to `aad`. */
export function seal(keyring: PiiKeyring, plaintext: string, aad: string): Sealed {
  const { id, key } = keyring.current;
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return { keyId: id, payload: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64") };
}

/**
 * Opens a sealed value with whichever key of the keyring carries its id.
 * @param row names the row in error messages (e.g. `lender 0x.., borrower 0x..`); never plaintext.
 * @throws PiiKeyUnknownError when no key has its id; PiiDecryptError when it was altered, moved
 *   to another `aad`, or sealed by another key with the same id.
 */
export function open(keyring: PiiKeyring, sealed: Sealed, aad: string, row: string): string {
  const key = [keyring.current, keyring.previous].find((k) => k?.id === sealed.keyId);
  if (!key) throw new PiiKeyUnknownError(sealed.keyId, row, [keyring.current.id, ...(keyring.previous ? [keyring.previous.id] : [])]);
  const bytes = Buffer.from(sealed.payload, "base64");
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new PiiDecryptError(sealed.keyId, row);
  try {
    const decipher = crypto.createDecipheriv("aes-256-gcm", key.key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch (err) {
    throw new PiiDecryptError(sealed.keyId, row, err);
  }
}
