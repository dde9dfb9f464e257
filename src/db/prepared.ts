/**
 * Queries built and compiled once, then run with new values.
 *
 * Kysely builds a query's operation tree and compiles it to SQL on every call. For the API's short
 * reads that was 14% of a worker's CPU under bench:api's realistic load, more than running the SQL
 * of most of them. A prepared query is built once per database (and per length of each list value,
 * and per variant) with a placeholder where each value goes, compiled, and from then on run by
 * putting the values in the placeholders' places. Its SQL is then the same string every call, so
 * the statement caches behind it (src/db/sqlite-statements.ts, src/db/pg-prepared.ts) find it at
 * once.
 *
 *   const remindersOf = preparedQuery((db, p: { ids: number[]; block: number }) =>
 *     db.selectFrom("reminders").selectAll().where("loan_id", "in", p.ids).where("block_number", "<=", p.block));
 *   const rows = await remindersOf(db, { ids, block });
 *
 * The build must use every value only as a query parameter, and must not branch on the values
 * (it sees placeholders) except on whether one is undefined (an optional filter): an undefined
 * value is passed as undefined and makes a shape of its own. A query whose shape differs in any
 * other way goes by `variant`, which the build receives.
 * A value the compiled query does not carry as a parameter (written into the SQL text, or not used)
 * is refused with PreparedQueryError when the query is first built.
 */
import type { Compilable, CompiledQuery, Kysely } from "kysely";
import type { Database } from "./schema";
import { PreparedQueryError } from "./errors";
import type { DirectRead } from "./sqlite-statements";

const directReads = new WeakMap<object, DirectRead>();

/**
 * Called by openDatabase for a SQLite database: prepared queries on `db` run through `read` (see
 * DirectRead) unless it declines. Measured under bench:api's realistic load, Kysely's handing out
 * of the connection allocated about a tenth of an API worker's bytes.
 */
export function registerDirectReads(db: Kysely<Database>, read: DirectRead): void {
  directReads.set(db, read);
}

/** Marks a placeholder: a string no value of the application's starts with. */
const MARK = "\u0000duetrail-placeholder\u0000";

/** Where a compiled parameter's value comes from: a fixed value of the build, or a key (and index, for a list) of the values. */
type Slot = { fixed: unknown } | { key: string; index: number };

interface Template {
  compiled: CompiledQuery;
  slots: Slot[];
}

/** Shapes kept per query and database at most (a list's length makes a shape: pages and id lists are bounded). */
const MAX_SHAPES = 512;

export type PreparedQuery<V extends Record<string, unknown>, R> = (db: Kysely<Database>, values: V, variant?: string) => Promise<R[]>;

export function preparedQuery<V extends Record<string, unknown>, R>(build: (db: Kysely<Database>, p: V, variant: string) => Compilable<R>): PreparedQuery<V, R> {
  /** This query's templates per database: one per shape (list lengths and variant). */
  const templates = new WeakMap<object, Map<string, Template>>();
  return async (db, values, variant = "") => {
    let byShape = templates.get(db);
    if (!byShape) templates.set(db, (byShape = new Map()));
    const shape = shapeOf(values, variant);
    let template = byShape.get(shape);
    if (!template) {
      template = compileTemplate(db, build, values, variant);
      if (byShape.size >= MAX_SHAPES) byShape.delete(byShape.keys().next().value!);
      byShape.set(shape, template);
    }
    const { compiled, slots } = template;
    const parameters = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if ("fixed" in s) parameters[i] = s.fixed;
      else {
        const v = values[s.key];
        parameters[i] = s.index < 0 ? v : (v as unknown[])[s.index];
      }
    }
    const direct = directReads.get(db)?.(compiled.sql, parameters);
    if (direct) return direct as R[];
    const result = await db.executeQuery<R>({ query: compiled.query, queryId: compiled.queryId, sql: compiled.sql, parameters });
    return result.rows;
  };
}

/** The shape of `values`: each key, with its list's length or whether it is undefined, then the variant. */
function shapeOf(values: Record<string, unknown>, variant: string): string {
  let shape = "";
  for (const k in values) {
    const v = values[k];
    shape += v === undefined ? `${k}?,` : Array.isArray(v) ? `${k}[${v.length}],` : `${k},`;
  }
  return `${shape}|${variant}`;
}

function compileTemplate<V extends Record<string, unknown>>(db: Kysely<Database>, build: (db: Kysely<Database>, p: V, variant: string) => Compilable<unknown>, values: V, variant: string): Template {
  const placeholders: Record<string, unknown> = {};
  for (const k in values) {
    const v = values[k];
    placeholders[k] = v === undefined ? undefined : Array.isArray(v) ? v.map((_, i) => `${MARK}${k}\u0000${i}`) : `${MARK}${k}\u0000`;
  }
  const compiled = build(db, placeholders as V, variant).compile();
  const used = new Set<string>();
  const slots: Slot[] = compiled.parameters.map((p) => {
    if (typeof p !== "string" || !p.startsWith(MARK)) return { fixed: p };
    const [key, index] = p.slice(MARK.length).split("\u0000") as [string, string];
    used.add(key);
    return { key, index: index === "" ? -1 : Number(index) };
  });
  if (compiled.sql.includes(MARK)) throw new PreparedQueryError("a value is written into the SQL text instead of passed as a parameter", compiled.sql);
  for (const k in values) {
    const v = values[k];
    if (!used.has(k) && v !== undefined && !(Array.isArray(v) && v.length === 0)) throw new PreparedQueryError(`the value "${k}" is not a parameter of the compiled query`, compiled.sql);
  }
  return { compiled, slots };
}
