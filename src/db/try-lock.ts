import pg from "pg";

/**
 * A PostgreSQL session advisory lock held on its own connection, taken without waiting: one
 * process of many does a job that must not run twice at once (the notice recorder's nonces). The
 * lock goes when the connection does (a killed process frees it).
 */
export function advisoryTryLock(url: string, key: string) {
  const u = new URL(url);
  u.searchParams.delete("schema");
  let client: pg.Client | undefined;
  let holding = false;
  return {
    /** Whether this process holds the lock now (taking it if free). */
    async held(): Promise<boolean> {
      try {
        if (!client) {
          client = new pg.Client({ connectionString: u.toString() });
          client.on("error", () => {
            holding = false;
            client = undefined;
          });
          await client.connect();
        }
        if (holding) {
          await client.query("select 1"); // still connected, so still holding
          return true;
        }
        const r = await client.query<{ ok: boolean }>("select pg_try_advisory_lock(hashtext($1)) as ok", [key]);
        holding = r.rows[0].ok;
        return holding;
      } catch {
        holding = false;
        await client?.end().catch(() => undefined);
        client = undefined;
        return false;
      }
    },
    async release(): Promise<void> {
      holding = false;
      await client?.end().catch(() => undefined);
      client = undefined;
    },
  };
}
