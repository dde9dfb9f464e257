/**
 * Drops a schema a benchmark made in the PostgreSQL at `pgUrl` (its ?schema= is ignored), over a
 * plain connection. Opening the database through openDatabase to do it ran the migrations in the
 * URL's own schema (`public`) as a side effect: the benchmark left that schema migrated, and a
 * checkout with fewer migrations then failed on it ("previously executed migration ... is missing").
 */
import pg from "pg";

export async function dropSchema(pgUrl: string, schema: string): Promise<void> {
  const base = new URL(pgUrl);
  base.searchParams.delete("schema");
  const client = new pg.Client({ connectionString: base.toString() });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${client.escapeIdentifier(schema)} cascade`);
  } finally {
    await client.end();
  }
}
