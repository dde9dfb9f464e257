import { PostgresAdapter, type Kysely } from "kysely";

/** Which database `db` (or a transaction of it) runs on: a few statements differ (row locks, SKIP LOCKED). */
export function dialectOf(db: Kysely<any>): "postgres" | "sqlite" {
  return db.getExecutor().adapter instanceof PostgresAdapter ? "postgres" : "sqlite";
}
