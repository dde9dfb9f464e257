/**
 * The notifier's run loop (`npm run cli -- notify`, and part of `npm start`): every poll it plans
 * notices from newly final trigger events, settles SMS receipts that timed out, drains the due
 * notices through the dispatcher, and records sent notices on chain. Each step is a small module
 * with one job (planner.ts, dispatcher.ts, receipts.ts, recorder.ts); this file only orders them.
 *
 * Several notifiers may run against one PostgreSQL: planning serialises on the cursor row,
 * dispatching shares the rows (SKIP LOCKED), and recording runs in the one process holding the
 * recorder's advisory lock (one nonce sequence). On SQLite, run one.
 */
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { LocalAccount, PublicClient } from "viem";
import { errorSummary, sleep } from "../chain/rpc";
import type { Deployment } from "../chain/deployments";
import type { Database } from "../db/schema";
import { dispatchPass, type DispatcherDeps } from "./dispatcher";
import type { NotifyMetrics } from "./metrics";
import { planPass, type PlanFor } from "./planner";
import { expireReceipts } from "./receipts";
import { recordPass } from "./recorder";

export interface NotifierParameters {
  db: Kysely<Database>;
  chainId: number;
  client: PublicClient;
  deployment: Deployment;
  dispatcher: DispatcherDeps;
  planFor: PlanFor;
  /** The notifier's account; without it notices are sent but not recorded on chain (said at start). */
  account?: LocalAccount;
  /** Whether this process may record now (PostgreSQL: holds the recorder lock). */
  mayRecord: () => Promise<boolean>;
  pollMs: number;
  maxAgeSec: number;
  receiptTimeoutSec: number;
  logger: Logger;
  metrics?: NotifyMetrics;
  /** Stop after one round that found nothing to do (tests, `notify --once`). */
  exitWhenIdle?: boolean;
}

export interface RoundResult {
  planned: number;
  dispatched: number;
  recorded: number;
  /** Notices put in a recording transaction this round (settled in a later one). */
  submitted: number;
  /** Something may be left to do at once (a full batch). */
  busy: boolean;
}

/** The notifier: `round()` does one of everything; `run()` repeats it until `stop()`. */
export function createNotifier(p: NotifierParameters) {
  let stopped = false;
  const { logger, metrics } = p;
  const dispatcher: DispatcherDeps = {
    ...p.dispatcher,
    onOutcome(n, outcome) {
      metrics?.outcomes.inc({ channel: n.channel, outcome });
      if ((outcome === "sent" || outcome === "delivered") && n.attempts === 0 && n.status === "pending") metrics?.lag.observe({ channel: n.channel }, Math.max(0, p.dispatcher.nowMs() - n.created_ms) / 1_000);
      logger.debug({ notice: n.id, loan: n.loan_id, channel: n.channel, outcome }, "notice");
      p.dispatcher.onOutcome?.(n, outcome);
    },
  };

  async function round(): Promise<RoundResult> {
    const r: RoundResult = { planned: 0, dispatched: 0, recorded: 0, submitted: 0, busy: false };
    for (let i = 0; i < 10; i++) {
      const planned = await planPass({ db: p.db, chainId: p.chainId, planFor: p.planFor, maxAgeSec: p.maxAgeSec, nowMs: p.dispatcher.nowMs });
      r.planned += planned.created;
      metrics?.planned.inc(planned.created);
      if (planned.cancelled) metrics?.reorged.inc({ status: "cancelled" }, planned.cancelled);
      if (planned.orphaned) metrics?.reorged.inc({ status: "orphaned" }, planned.orphaned);
      if (planned.cancelled || planned.orphaned) logger.warn({ cancelled: planned.cancelled, orphaned: planned.orphaned }, "a reorg removed trigger events of notices");
      if (planned.caughtUp) break;
      r.busy = i === 9;
    }
    const t = await p.dispatcher.chainNow();
    await expireReceipts(p.db, t, p.receiptTimeoutSec);
    const pass = await dispatchPass(dispatcher);
    r.dispatched = pass.claimed;
    if (pass.claimed === (p.dispatcher.batch ?? 200)) r.busy = true;
    if (p.account && (await p.mayRecord())) {
      const rec = await recordPass({ db: p.db, client: p.client, account: p.account, deployment: p.deployment, nowMs: p.dispatcher.nowMs });
      r.recorded = rec.recorded;
      r.submitted = rec.submitted + rec.resent;
      metrics?.recorded.inc(rec.recorded);
      if (rec.refused) logger.warn({ refused: rec.refused }, "the contract refused to record some notices (is the notifier assigned to their loans?)");
      if (rec.submitted === 100) r.busy = true;
    }
    return r;
  }

  async function run(): Promise<void> {
    if (!p.account) logger.warn("NOTIFIER_KEY is not set: notices are sent but not recorded on chain");
    let failures = 0;
    while (!stopped) {
      try {
        const r = await round();
        failures = 0;
        const idle = r.planned === 0 && r.dispatched === 0 && r.recorded === 0 && r.submitted === 0;
        if (!idle) logger.info(r, "notify round");
        if (p.exitWhenIdle && !r.busy && idle) break;
        if (!r.busy) await sleep(p.pollMs);
      } catch (err) {
        failures++;
        const retryable = (err as { retryable?: unknown }).retryable !== false || failures < 5;
        logger.error({ err: errorSummary(err), failures }, retryable ? "notify round failed; retrying" : "notify round failed");
        await sleep(Math.min(30_000, p.pollMs * 2 ** Math.min(failures, 5)));
      }
    }
  }

  return {
    round,
    run,
    stop() {
      stopped = true;
    },
  };
}
