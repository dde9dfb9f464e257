import type { Kysely } from "kysely";

/**
 * State the API keeps itself (never loan data, which comes only from the chain), so that it holds
 * across restarts and is shared by every API process on one database:
 * - `auth_nonces`: Sign-In with Ethereum nonces, single use, with the client address that asked
 *   (outstanding nonces are capped per client address).
 * - `revoked_tokens` / `revoked_subjects`: bearer tokens revoked by id (`token revoke --id`), or
 *   every token of an account issued up to a time (`token revoke --address`); checked on every request.
 * - `idempotency_keys`: a caller's Idempotency-Key, the fingerprint of the request it came with and
 *   the response to replay; kept 24 h, bounded per caller.
 * - `relays`: transactions the relayer signed for callers (the signed bytes, so one dropped from the
 *   node's pool is sent again), their nonce and state; a caller's relays per day are budgeted.
 * Times are the server's wall clock (operational limits, not ledger figures).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("auth_nonces")
    .addColumn("nonce", "text", (c) => c.primaryKey())
    .addColumn("client", "text", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("auth_nonces_client_idx").on("auth_nonces").columns(["client", "expires_at"]).execute();

  await db.schema
    .createTable("revoked_tokens")
    .addColumn("jti", "text", (c) => c.primaryKey())
    .addColumn("subject", "text", (c) => c.notNull())
    .addColumn("revoked_at", "bigint", (c) => c.notNull())
    .addColumn("expires_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createTable("revoked_subjects")
    .addColumn("subject", "text", (c) => c.primaryKey())
    .addColumn("revoked_before", "bigint", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("idempotency_keys")
    .addColumn("caller", "text", (c) => c.notNull())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("fingerprint", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("status", "integer")
    .addColumn("body", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("idempotency_keys_pk", ["caller", "key"])
    .execute();
  await db.schema.createIndex("idempotency_keys_created_idx").on("idempotency_keys").columns(["caller", "created_at"]).execute();

  await db.schema
    .createTable("relays")
    .addColumn("tx_hash", "text", (c) => c.primaryKey())
    .addColumn("caller", "text", (c) => c.notNull())
    .addColumn("loan_id", "bigint", (c) => c.notNull())
    .addColumn("relayer", "text", (c) => c.notNull())
    .addColumn("nonce", "bigint", (c) => c.notNull())
    .addColumn("raw_tx", "text", (c) => c.notNull())
    .addColumn("state", "text", (c) => c.notNull())
    .addColumn("block_number", "bigint")
    .addColumn("idempotency_key", "text")
    .addColumn("created_at", "bigint", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("relays_idempotency_idx").on("relays").columns(["caller", "idempotency_key"]).execute();
  await db.schema.createIndex("relays_caller_idx").on("relays").columns(["caller", "created_at"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["relays", "idempotency_keys", "revoked_subjects", "revoked_tokens", "auth_nonces"]) await db.schema.dropTable(t).ifExists().execute();
}
