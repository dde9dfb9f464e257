import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The dispatcher's Prometheus metrics (`notify --metrics-port`). Labels carry channels and outcomes, never borrowers. */
export function createNotifyMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry, prefix: "duetrail_notify_" });
  return {
    registry,
    planned: new Counter({ name: "duetrail_notify_planned_total", help: "Notices created from trigger events", registers: [registry] }),
    outcomes: new Counter({ name: "duetrail_notify_outcomes_total", help: "Dispatch outcomes per channel", labelNames: ["channel", "outcome"], registers: [registry] }),
    recorded: new Counter({ name: "duetrail_notify_recorded_total", help: "Notices recorded in CollectionLog", registers: [registry] }),
    reorged: new Counter({ name: "duetrail_notify_reorged_total", help: "Notices cancelled or orphaned by a reorg", labelNames: ["status"], registers: [registry] }),
    lag: new Histogram({
      name: "duetrail_notify_outbox_lag_seconds",
      help: "From a notice's creation (its trigger final) to the provider's acceptance, first tries sent at once",
      labelNames: ["channel"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600],
      registers: [registry],
    }),
    due: new Gauge({ name: "duetrail_notify_due", help: "Notices due now (pending or deferred, due by chain time)", registers: [registry] }),
  };
}

export type NotifyMetrics = ReturnType<typeof createNotifyMetrics>;
