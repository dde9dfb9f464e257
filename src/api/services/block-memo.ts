/**
 * Values read from tables that change only with a new indexed block (lenders' contact policies,
 * jurisdictions' contact rules), kept for one generation of the response cache: the cursor's block
 * and hash. A new block or a reorg starts a new generation, and with it an empty memo, so a value
 * is never served past the block it was read at. A request reads what it would have read itself;
 * only the statement is saved.
 */

/** Values kept at most per generation (least recently added out first). */
export const MAX_BLOCK_MEMO_VALUES = 10_000;

export class BlockMemo {
  private readonly values = new Map<string, unknown>();

  constructor(private readonly max = MAX_BLOCK_MEMO_VALUES) {}

  /**
   * The values of `keys` under `kind`: the kept ones, and the others loaded by one call of `load`
   * (which answers every key it is given) and kept.
   */
  async many<V>(kind: string, keys: readonly string[], load: (missing: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
    const out = new Map<string, V>();
    const missing: string[] = [];
    for (const k of new Set(keys)) {
      const id = `${kind}:${k}`;
      if (this.values.has(id)) out.set(k, this.values.get(id) as V);
      else missing.push(k);
    }
    if (missing.length === 0) return out;
    const loaded = await load(missing);
    for (const [k, v] of loaded) {
      out.set(k, v);
      this.values.set(`${kind}:${k}`, v);
      if (this.values.size > this.max) this.values.delete(this.values.keys().next().value!);
    }
    return out;
  }
}
