/**
 * The tables the API writes (not the indexer): uploaded batch leaves and evidence uploads,
 * sign-in nonces, revoked tokens, idempotency keys and relayed transactions; and the borrower
 * contact directory the `borrowers` command writes (src/db/contacts.ts). Part of
 * {@link Database} (src/db/schema.ts); a rollback never touches them.
 */
import type { Flag, Int, Json } from "./columns";

/** A leaf of an anchored batch, uploaded through the API and checked against the anchored root (migration 0002). */
export interface BatchLeavesTable {
  batch_id: Int;
  merkle_root: string;
  /** Position in the uploaded list (the tree's input order). */
  idx: Int;
  loan_id: Int;
  /** uint64 fields as decimal strings (they may exceed 2^53). */
  seq: string;
  collector: string;
  channel: Int;
  kind: Int;
  outcome: Int;
  occurred_at: string;
  evidence_hash: string;
  leaf_hash: string;
  /** JSON array of 0x hashes: the inclusion proof against merkle_root. */
  proof: Json;
}

/** Who uploaded which evidence artifact for which loan, and when (migration 0006; server clock, seconds). */
export interface EvidenceUploadsTable {
  /** 0x-prefixed lowercase SHA-256 of the bytes. */
  sha256: string;
  loan_id: Int;
  uploader: string;
  size: Int;
  uploaded_at: Int;
}

/** A Sign-In with Ethereum nonce (migration 0005): single use, until expires_at (server clock, seconds). */
export interface AuthNoncesTable {
  nonce: string;
  /** The client address that asked for it (req.ip, after TRUST_PROXY). */
  client: string;
  expires_at: Int;
}

/** A bearer token revoked by its id (`token revoke --id`, migration 0005). */
export interface RevokedTokensTable {
  jti: string;
  subject: string;
  revoked_at: Int;
  /** The token's own expiry: the row may be dropped after it. */
  expires_at: Int;
}

/** Every token of `subject` issued at or before `revoked_before` is revoked (`token revoke --address`). */
export interface RevokedSubjectsTable {
  subject: string;
  revoked_before: Int;
}

/** An Idempotency-Key of a caller (migration 0005): `pending` while the first request runs, then `done` with its response. */
export interface IdempotencyKeysTable {
  caller: string;
  key: string;
  fingerprint: string;
  state: "pending" | "done";
  status: Int | null;
  /** The JSON response body to replay. */
  body: Json | null;
  created_at: Int;
}

/** A transaction the API's relayer signed for a caller (migration 0005). */
export interface RelaysTable {
  tx_hash: string;
  caller: string;
  loan_id: Int;
  relayer: string;
  nonce: Int;
  /** The signed transaction (0x hex), sent again if the node drops it from its pool. */
  raw_tx: string;
  state: "pending" | "included" | "reverted" | "dropped";
  block_number: Int | null;
  /** The caller's Idempotency-Key the relay was made under, if any (a retry after a crash finds it). */
  idempotency_key: string | null;
  created_at: Int;
}

/**
 * A borrower's contact data for one lender (migration 0007; src/db/contacts.ts reads and writes
 * it). Email, phone and postal address are sealed in `payload`; the rest is plain (the migration
 * says why). `updated_at`: server clock, seconds.
 */
export interface BorrowerContactsTable {
  /** Checksummed address, as `loans.lender`. */
  lender: string;
  /** 0x-prefixed lowercase 32-byte hex, as `loans.borrower_ref`. */
  borrower_ref: string;
  /** Id of the PII key that sealed `payload`. */
  key_id: string;
  /** base64 of IV ‖ tag ‖ AES-256-GCM ciphertext of the JSON {email, phone, postalAddress}. */
  payload: string;
  /** BCP 47 language tag, canonical (zh-CN, en). */
  language: string;
  /** IANA time zone (Asia/Shanghai). */
  time_zone: string;
  /** ISO 3166-1 alpha-2 country, optionally with an ISO 3166-2 subdivision (CN, US-CA). */
  jurisdiction: string;
  consent_sms: Flag;
  consent_email: Flag;
  consent_letter: Flag;
  consent_webhook: Flag;
  updated_at: Int;
}
