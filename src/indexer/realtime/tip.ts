/**
 * Following the tip: reads the head, and tells the run loop what to do next as a tagged union
 * (as Ponder's realtime sync does): blocks to ingest, a reorg to roll back, or nothing new beyond
 * what is final. Reorg detection compares the cursor block, then the stored headers of the
 * unfinalised window, with the node's chain.
 */
import type { Cursor, BlockHeader } from "../store";
import { ReorgTooDeepError } from "../errors";
import type { IndexerOptions } from "../options";

/** The last block both chains share: where a rollback goes to. */
export interface Fork {
  number: number;
  hash: string;
  timestamp: number;
}

export type TipEvent =
  /** Blocks after the cursor up to `target` (head less the confirmations) are to be ingested. */
  | { type: "block"; head: number; target: number }
  /** The cursor block left the chain: roll back to `fork`, then poll again. */
  | { type: "reorg"; head: number; fork: Fork; depth: number }
  /** The cursor is at the target: nothing to ingest until the head moves. */
  | { type: "finalize"; head: number; target: number };

export interface CreateTipParameters {
  /** The node's head (eth_blockNumber, retried). */
  readHead: () => Promise<number>;
  /** A block's header on the node's chain (throws BlockGoneError when the node has none). */
  header: (blockNumber: number) => Promise<{ hash: string }>;
  /** The stored headers of the unfinalised window from `from` on, newest first. */
  storedHeaders: (from: number) => Promise<BlockHeader[]>;
  /** Called before a check: the stored headers and a rollback work on what is committed. */
  settle: () => Promise<void>;
  /** First block of the deployment (the fork of last resort is the block before it). */
  startBlock: number;
  options: Pick<IndexerOptions, "confirmations" | "reorgWindow">;
  now?: () => number;
}

export function createTip({ readHead, header, storedHeaders, settle, startBlock, options, now = Date.now }: CreateTipParameters) {
  let known: { head: number; at: number } | undefined;

  /** The head; far below the tip, one read within the last second will do (a round trip less per range). */
  async function headFor(cursor: Cursor): Promise<number> {
    const reuse = known !== undefined && cursor.blockNumber < known.head - options.confirmations - options.reorgWindow && now() - known.at < 1_000;
    if (reuse) return known!.head;
    const head = await readHead();
    known = { head, at: now() };
    return head;
  }

  /**
   * The fork when the chain reorganised below the cursor, or undefined when the cursor block is
   * still on the chain. A head below the cursor is a reorg onto a shorter branch only if the
   * newest stored block at or below the head changed; otherwise the node may just lag behind.
   * @throws ReorgTooDeepError when no stored block of the window matches the chain.
   */
  async function forkOf(cursor: Cursor, head: number): Promise<Fork | undefined> {
    await settle();
    if (cursor.blockNumber <= head && (await header(cursor.blockNumber)).hash === cursor.blockHash) return undefined;
    const stored = await storedHeaders(cursor.blockNumber - options.reorgWindow);
    if (cursor.blockNumber > head) {
      const below = stored.find((h) => h.number <= head);
      if (!below || (await header(below.number)).hash === below.hash) return undefined;
    }
    for (const h of stored) {
      if (h.number >= cursor.blockNumber || h.number > head) continue;
      if ((await header(h.number)).hash === h.hash) return h;
    }
    if (cursor.blockNumber - (startBlock - 1) > options.reorgWindow) {
      throw new ReorgTooDeepError(
        `reorg below the kept window: block ${cursor.blockNumber} changed and none of the last ${options.reorgWindow} stored blocks matches the chain; stopping (re-index from scratch or raise --reorg-window)`,
      );
    }
    return { number: startBlock - 1, hash: "", timestamp: 0 };
  }

  /**
   * What follows `cursor`. At the target, the cursor block is checked against the chain (a reorg,
   * or a shorter branch); below it, the next range's first block is checked instead, by ingest
   * (its parent must be the cursor block), without a flush and a round trip per range.
   */
  async function poll(cursor: Cursor): Promise<TipEvent> {
    const head = await headFor(cursor);
    const target = head - options.confirmations;
    if (cursor.blockHash && cursor.blockNumber >= target && head - cursor.blockNumber <= options.reorgWindow) {
      const fork = await forkOf(cursor, head);
      if (fork) return { type: "reorg", head, fork, depth: cursor.blockNumber - fork.number };
    }
    if (cursor.blockNumber >= target) return { type: "finalize", head, target };
    return { type: "block", head, target };
  }

  return { poll, forkOf };
}

export type Tip = ReturnType<typeof createTip>;
