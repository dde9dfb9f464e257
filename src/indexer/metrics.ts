import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** The indexer's Prometheus metrics, on a registry passed in (shared with the API when co-hosted). */
export function createIndexerMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: "duetrail_indexer_" });
  return {
    registry,
    head: new Gauge({ name: "duetrail_indexer_chain_head_block", help: "Latest block the RPC node reports", registers: [registry] }),
    indexed: new Gauge({ name: "duetrail_indexer_indexed_block", help: "Last block committed to the database", registers: [registry] }),
    lag: new Gauge({ name: "duetrail_indexer_lag_blocks", help: "Blocks between the chain head and the last committed block", registers: [registry] }),
    events: new Counter({ name: "duetrail_indexer_events_total", help: "Duetrail logs indexed", labelNames: ["contract", "event"], registers: [registry] }),
    retries: new Counter({ name: "duetrail_indexer_rpc_retries_total", help: "RPC calls retried after a failure", labelNames: ["method", "reason"], registers: [registry] }),
    splits: new Counter({ name: "duetrail_indexer_range_splits_total", help: "eth_getLogs ranges split after an error", registers: [registry] }),
    reorgs: new Counter({ name: "duetrail_indexer_reorgs_total", help: "Reorgs rolled back", registers: [registry] }),
  };
}

export type IndexerMetrics = ReturnType<typeof createIndexerMetrics>;
