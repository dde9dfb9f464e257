import http from "node:http";
import v8 from "node:v8";
import type { Command } from "commander";
import { loadConfig, SETTINGS } from "../../config";
import { isRetryable } from "../../errors";
import { createLogger } from "../../config/logger";
import { openDatabase } from "../../db/connect";
import { loadDeployment } from "../../chain/deployments";
import { createChainClient } from "../../chain/client";
import { createIndexer } from "../../indexer/indexer";
import { createIndexerMetrics } from "../../indexer/metrics";
import { electWriter, lockKey } from "../../indexer/leader";
import { action } from "../lib/errors";

/** `index`: mirror the chain into SQLite (default) or PostgreSQL. */
export function registerIndexCommand(program: Command): void {
  const cmd = program
    .command("index")
    .description("index LoanLedger and CollectionLog events into SQLite (default ./data/duetrail.db) or PostgreSQL")
    .option(`${SETTINGS.rpcUrl.flag} <url>`, `JSON-RPC endpoint (env ${SETTINGS.rpcUrl.env}, default http://127.0.0.1:8545)`)
    .option(`${SETTINGS.network.flag} <name>`, `deployments/<name>/ to read (env ${SETTINGS.network.env}, default localhost)`)
    .option(`${SETTINGS.deploymentsDir.flag} <dir>`, `deployments folder (env ${SETTINGS.deploymentsDir.env}, default ./deployments)`)
    .option(`${SETTINGS.databaseUrl.flag} <path|url>`, `SQLite file or postgres:// URL (env ${SETTINGS.databaseUrl.env})`)
    .option(`${SETTINGS.confirmations.flag} <n>`, `blocks to wait before indexing one (env ${SETTINGS.confirmations.env}, default 0)`)
    .option(`${SETTINGS.reorgWindow.flag} <n>`, `recent blocks whose hashes are kept for reorg detection (env ${SETTINGS.reorgWindow.env}, default 64)`)
    .option(`${SETTINGS.pollIntervalMs.flag} <ms>`, `how often to poll for new blocks (env ${SETTINGS.pollIntervalMs.env}, default 500)`)
    .option(`${SETTINGS.rpcWsUrl.flag} <url>`, `the node's WebSocket endpoint: follow new heads as they are announced, polling as the fallback (env ${SETTINGS.rpcWsUrl.env})`)
    .option(`${SETTINGS.maxBlockRange.flag} <n>`, `largest eth_getLogs range (env ${SETTINGS.maxBlockRange.env}, default 10000)`)
    .option(
      `${SETTINGS.commitEvents.flag} <n>`,
      `backfill: commit once a transaction holds this many events or 2 s of work; 1 commits every range (env ${SETTINGS.commitEvents.env}, default 10000)`,
    )
    .option(`${SETTINGS.logLevel.flag} <level>`, `log level (env ${SETTINGS.logLevel.env}, default info)`)
    .option(`${SETTINGS.metricsPort.flag} <port>`, `serve Prometheus metrics on this port (env ${SETTINGS.metricsPort.env})`)
    .option(`${SETTINGS.exitAtTip.flag}`, `exit once caught up instead of following the chain (env ${SETTINGS.exitAtTip.env})`);
  cmd.action(
    action(cmd, async (opts: Record<string, unknown>) => {
      // Bad settings or a missing deployment fail here, through the CLI's one error path (exit 2).
      const config = loadConfig({
        rpcUrl: opts.rpc,
        network: opts.network,
        deploymentsDir: opts.deployments,
        databaseUrl: opts.db,
        confirmations: opts.confirmations,
        reorgWindow: opts.reorgWindow,
        pollIntervalMs: opts.pollIntervalMs,
        rpcWsUrl: opts.wsUrl,
        maxBlockRange: opts.maxBlockRange,
        commitEvents: opts.commitEvents,
        logLevel: opts.logLevel,
        metricsPort: opts.metricsPort,
        exitAtTip: opts.exitAtTip,
      });
      const deployment = loadDeployment(config.network, config.deploymentsDir);
      // The indexer's live set is small (the projection cache) but it allocates fast: V8's default
      // heap growth (up to ~4x the live set between full collections) would hold hundreds of MB of
      // garbage; a third of the live set again is plenty (bench:indexer's peak RSS shows the effect).
      v8.setFlagsFromString(`--heap-growing-percent=35`);
      const logger = createLogger(config.logLevel, "indexer");
      const metrics = createIndexerMetrics();
      const database = await openDatabase(config.databaseUrl);
      const indexer = createIndexer({
        client: createChainClient(config.rpcUrl),
        database,
        deployment,
        options: config,
        services: { logger, metrics },
      });
      let server: http.Server | undefined;
      if (config.metricsPort !== undefined) {
        server = http
          .createServer(async (_req, res) => {
            res.setHeader("content-type", metrics.registry.contentType);
            res.end(await metrics.registry.metrics());
          })
          .listen(config.metricsPort, "127.0.0.1");
      }
      let stopping = false;
      const stop = () => {
        stopping = true;
        indexer.stop();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const leadership =
        database.dialect === "postgres"
          ? electWriter(config.databaseUrl, lockKey(database.schema, deployment.chainId), { logger, aborted: () => stopping })
          : undefined;
      // Without the lock another indexer may be writing already: stop (a supervisor restarts this one, which then stands by).
      void leadership?.lost.then((reason) => {
        if (stopping) return;
        logger.fatal({ err: reason }, "lost the writer lock; stopping");
        process.exitCode = 1;
        stop();
      });
      try {
        await leadership?.acquired;
        await indexer.run();
      } catch (err) {
        if (!stopping) {
          logger.fatal({ err: err instanceof Error ? err.message : String(err), retryable: isRetryable(err) }, "indexer failed");
          process.exitCode = 1;
        }
      } finally {
        await leadership?.release();
        server?.close();
        await database.close();
        logger.flush();
      }
    }),
  );
}
