/**
 * The writes that end a claimed notice's turn (its fate: sent, deferred, retried, cancelled…), each
 * fenced by the claim's lease, which it gives back. A pass writes its notices' fates together —
 * those that end in one turn of the event loop in one statement (settleMany) through the pass's
 * group writer (src/db/group-writer.ts) — instead of one statement and commit each.
 */
import { sql, type Kysely } from "kysely";
import { chunk } from "../db/chunk";
import type { GroupWriter } from "../db/group-writer";
import type { NoticeChannel, NoticesTable } from "../db/notify-tables";
import type { Database } from "../db/schema";
import { noticeId } from "./ids";
import { applyEarlyReceipt } from "./receipts";

/** A write to a claimed row that gives the lease back, fenced by it. Returns false when the lease was lost. */
export async function settle(trx: Kysely<Database>, owner: string, n: NoticesTable, set: Partial<NoticesTable>): Promise<boolean> {
  const r = await trx
    .updateTable("notices")
    .set({ ...set, lease_owner: null, lease_until_ms: null })
    .where("id", "=", n.id)
    .where("lease_owner", "=", owner)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The columns a fate sets, with their SQL types (cast, so PostgreSQL knows each parameter's type). */
const FATE_COLUMNS = {
  status: "text",
  reason: "text",
  attempts: "bigint",
  due_at: "bigint",
  provider_id: "text",
  sent_at: "bigint",
  delivered_at: "bigint",
  sent_ms: "bigint",
  outcome: "bigint",
  record_state: "text",
} as const;
export type Fate = Partial<Pick<NoticesTable, keyof typeof FATE_COLUMNS>>;

/**
 * Writes the fates of many claimed notices, 100 to a statement: each column a `case id` over the
 * notices that set it (the others keep theirs), every row fenced by the lease, which is given back.
 * Returns the ids written (a notice missing lost its lease).
 */
async function settleMany(trx: Kysely<Database>, owner: string, items: { n: NoticesTable; fate: Fate }[]): Promise<Set<string>> {
  const written = new Set<string>();
  for (const part of chunk(items, 100)) {
    const set: Record<string, unknown> = { lease_owner: null, lease_until_ms: null };
    for (const [column, type] of Object.entries(FATE_COLUMNS) as [keyof Fate, string][]) {
      const setting = part.filter((x) => column in x.fate);
      if (setting.length === 0) continue;
      const whens = setting.map((x) => sql`when ${x.n.id} then cast(${x.fate[column] ?? null} as ${sql.raw(type)})`);
      set[column] = sql`case id ${sql.join(whens, sql` `)} else ${sql.ref(column)} end`;
    }
    const rows = await trx
      .updateTable("notices")
      .set(set as Partial<NoticesTable>)
      .where(
        "id",
        "in",
        part.map((x) => x.n.id),
      )
      .where("lease_owner", "=", owner)
      .returning("id")
      .execute();
    for (const r of rows) written.add(r.id);
  }
  return written;
}

/** Writes claimed notices' fates: those queued in one turn of the event loop together (settleMany), in the pass's group writer. */
export interface FateWriter {
  /** Writes `fate` for `n`; with `receipt`, then applies a delivery receipt that came before it. False when the lease was lost. */
  settle(n: NoticesTable, fate: Fate, receipt?: boolean): Promise<boolean>;
}

export function fateWriter(w: GroupWriter, owner: string): FateWriter {
  let queue: { n: NoticesTable; fate: Fate; receipt: boolean; resolve: (ok: boolean) => void; reject: (err: unknown) => void }[] = [];
  const flush = () => {
    const batch = queue;
    queue = [];
    w.run(async (trx) => {
      const written = await settleMany(trx, owner, batch);
      const sent = batch.filter((b) => b.receipt && written.has(b.n.id)).map((b) => b.n.id);
      for (const part of chunk(sent, 100)) {
        for (const r of await trx.selectFrom("notices").select("id").where("id", "in", part).where("early_receipt", "is not", null).execute()) await applyEarlyReceipt(trx, r.id);
      }
      return written;
    }).then(
      (written) => batch.forEach((b) => b.resolve(written.has(b.n.id))),
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  };
  return {
    settle(n, fate, receipt = false) {
      return new Promise((resolve, reject) => {
        if (queue.length === 0) setImmediate(flush);
        queue.push({ n, fate, receipt, resolve, reject });
      });
    },
  };
}

/** `n`'s fate written with the pass's others: `outcome`, or lost-lease. */
export async function settleAs<O extends string>(f: FateWriter, n: NoticesTable, fate: Fate, outcome: O): Promise<O | "lost-lease"> {
  return (await f.settle(n, fate)) ? outcome : "lost-lease";
}

/** The notice on channel `next` that takes over from `n`, due at `dueAt`. */
export function fallbackRow(n: NoticesTable, next: NoticeChannel, rest: NoticeChannel[], dueAt: number): NoticesTable {
  return {
    ...n,
    id: noticeId(n.trigger_id, next),
    channel: next,
    fallback: JSON.stringify(rest),
    step: n.step + 1,
    fallback_of: n.id,
    status: "pending",
    reason: null,
    due_at: dueAt,
    attempts: 0,
    lease_owner: null,
    lease_until_ms: null,
    evidence_hash: null,
    content_type: null,
    template_version: null,
    language: null,
    provider_id: null,
    sent_at: null,
    delivered_at: null,
    outcome: null,
    record_state: null,
    record_tx: null,
    action_seq: null,
    sent_ms: null,
  };
}

/** `case id when … then … end` over `values` (cast, so PostgreSQL knows each parameter's type). */
export function byId(values: [string, string | number][], type: "text" | "integer") {
  return sql<never>`case id ${sql.join(
    values.map(([id, v]) => sql`when ${id} then cast(${v} as ${sql.raw(type)})`),
    sql` `,
  )} end`;
}
