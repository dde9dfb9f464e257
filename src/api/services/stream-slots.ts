import type { Address } from "viem";
import { StreamLimitError } from "./errors";

/** A stream's place under the caps, taken before it opens and released when it closes (idempotent). */
export interface StreamSlot {
  readonly caller: Address;
  release(): void;
}

/**
 * The caps on open streams of one API process: `maxPerCaller` per caller (its address, whatever
 * token it uses) and `maxTotal` in all. A slot is taken before a stream opens, so a refusal is an
 * ordinary 429 answer.
 */
export function createStreamSlots(maxPerCaller: number, maxTotal: number): { reserve(caller: Address): StreamSlot } {
  const perCaller = new Map<string, number>();
  let reserved = 0;
  return {
    reserve(caller) {
      const mine = perCaller.get(caller) ?? 0;
      if (mine >= maxPerCaller) throw new StreamLimitError("STREAM_MAX_PER_CALLER", maxPerCaller);
      if (reserved >= maxTotal) throw new StreamLimitError("STREAM_MAX_TOTAL", maxTotal);
      reserved++;
      perCaller.set(caller, mine + 1);
      let released = false;
      return {
        caller,
        release() {
          if (released) return;
          released = true;
          reserved--;
          const left = (perCaller.get(caller) ?? 1) - 1;
          if (left > 0) perCaller.set(caller, left);
          else perCaller.delete(caller);
        },
      };
    },
  };
}
