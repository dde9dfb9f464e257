/**
 * PostgreSQL: reads as named prepared statements. Kysely sends every query as an unnamed statement,
 * so the server parses and plans it again on every call; for the API's short reads that is most
 * of the server's work (measured: realistic bench:api at 100k loans, 380 → 536 req/s). A pool
 * client wrapped here sends a SELECT outside a transaction by name instead: the server parses it
 * once per connection and reuses the plan (custom plans for the first five calls, then a generic
 * one when it costs no more: PostgreSQL's plan_cache_mode).
 *
 * - Bounded: at most `limit` distinct texts per connection are prepared (first come), the rest run
 *   unnamed as before.
 * - Writes, and anything inside a transaction, stay unnamed: they are the indexer's and run once.
 * - A statement whose result columns changed under it (a migration by a newer process adds a
 *   column to a `select *`) fails with 0A000 "cached plan must not change result type": it is run
 *   again unnamed and never prepared again on that connection.
 * - The API asks for it (openDatabase's `preparedReads`); other processes' reads run once or twice
 *   each, and preparing them costs more than it saves.
 * - Off with `?prepare=off` in the database URL (for a pooler in transaction mode, such as
 *   PgBouncer before 1.21, which cannot keep a statement on one server connection).
 */
import type pg from "pg";
import { InvalidPrepareOptionError } from "./errors";

/** Distinct statement texts prepared per connection, at most. */
export const PREPARED_PER_CONNECTION = 256;

/** SQLSTATE of "cached plan must not change result type". */
const PLAN_CHANGED = "0A000";

interface Prepared {
  names: Map<string, string>;
  /** Texts whose plan changed under them: run unnamed from then on. */
  unnamed: Set<string>;
  inTransaction: boolean;
}

const wrapped = new WeakSet<object>();

/** Makes `client` send its SELECTs outside transactions as named prepared statements (once per client). */
export function prepareReads(client: pg.ClientBase, limit = PREPARED_PER_CONNECTION): void {
  if (wrapped.has(client)) return;
  wrapped.add(client);
  const state: Prepared = { names: new Map(), unnamed: new Set(), inTransaction: false };
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  const replacement = (...args: unknown[]): unknown => {
    const [text, values] = args;
    if (typeof text !== "string" || (values !== undefined && !Array.isArray(values)) || args.length > 2) return query(...args);
    const head = text.trimStart().slice(0, 9).toLowerCase();
    if (head.startsWith("begin") || head.startsWith("start tra")) state.inTransaction = true;
    else if (head.startsWith("commit") || head.startsWith("rollback") || head.startsWith("end")) state.inTransaction = false;
    if (state.inTransaction || !head.startsWith("select") || state.unnamed.has(text)) return query(...args);
    let name = state.names.get(text);
    if (name === undefined) {
      if (state.names.size >= limit) return query(...args);
      name = `duetrail_${state.names.size + 1}`;
      state.names.set(text, name);
    }
    return query({ name, text, values: (values as unknown[] | undefined) ?? [] }).catch((err: unknown) => {
      if ((err as { code?: string }).code !== PLAN_CHANGED) throw err;
      state.unnamed.add(text);
      return query(text, values);
    });
  };
  (client as unknown as { query: unknown }).query = replacement;
}

/** Whether the database URL asks for prepared reads (`prepare=off` turns them off); removes the parameter. */
export function takePrepareOption(u: URL): boolean {
  const v = u.searchParams.get("prepare");
  u.searchParams.delete("prepare");
  if (v === null || v === "on") return true;
  if (v === "off") return false;
  throw new InvalidPrepareOptionError(v);
}
