import type { Kysely } from "kysely";
import type { Database } from "../../db/schema";

/** A cursor state the stream hub read: the indexed block and its hash. */
export interface CursorBlock {
  block: number;
  hash: string;
}

/**
 * The fork block when the indexer rolled back since the last cursor the hub read (`seen`'s last),
 * else undefined: the cursor fell below it, or its block's hash changed. The fork is the highest
 * remembered block the chain still has; failing that, below every remembered one (events are
 * then sent again from further back, never skipped).
 */
export async function findFork(db: Kysely<Database>, seen: readonly CursorBlock[], cursor: CursorBlock): Promise<number | undefined> {
  const last = seen[seen.length - 1];
  if (!last) return undefined;
  const hashAt = async (blocks: number[]) => {
    const rows = blocks.length ? await db.selectFrom("blocks").select(["number", "hash"]).where("number", "in", blocks).execute() : [];
    const out = new Map(rows.map((r) => [r.number, r.hash]));
    out.set(cursor.block, cursor.hash);
    return out;
  };
  if (cursor.block > last.block) {
    // A block no longer stored (older than the indexer's window) cannot be checked: taken as kept.
    const now = (await hashAt([last.block])).get(last.block);
    if (now === undefined || now === last.hash) return undefined;
  } else if (cursor.block === last.block && cursor.hash === last.hash) return undefined;
  const below = seen.filter((s) => s.block <= cursor.block);
  const chain = await hashAt(below.map((s) => s.block));
  for (let i = below.length - 1; i >= 0; i--) if (chain.get(below[i].block) === below[i].hash) return below[i].block;
  return below.length ? Math.min(cursor.block, below[0].block - 1) : cursor.block;
}
