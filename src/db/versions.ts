/**
 * Per-lender versioned documents (notice plans, strategies): the next version is the latest + 1,
 * written in a transaction; two writers that read the same latest version clash on the primary
 * key (PostgreSQL, read committed), and the loser reads again.
 */

/** A primary-key or unique clash: another writer took the version first. */
export function isDuplicateKey(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE";
}

/** How often a versioned write tries again when a concurrent writer took its version number. */
export const VERSION_ATTEMPTS = 10;

/** Runs `write` (one transaction that reads the latest version and inserts the next) until it does not clash. */
export async function retryOnVersionClash<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!isDuplicateKey(err) || attempt >= VERSION_ATTEMPTS) throw err;
    }
  }
}
