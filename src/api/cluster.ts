/**
 * Several API processes behind one port (`serve --workers N`, API_WORKERS): Node's cluster. The API
 * keeps no state between requests that another process would need (sessions are signed tokens;
 * nonces, idempotency keys and evidence live in the database and the evidence folder), so the
 * primary only runs the migrations, forks the workers, replaces one that dies, answers /metrics
 * for all of them, passes cached answers between them, sweeps evidence, and stops them on
 * SIGINT/SIGTERM.
 *
 * The response cache (RESPONSE_CACHE_MB) is per process, but the lists and queues a worker stores
 * are passed to the others through the primary (CACHE_PUT, V8-serialized), so a caller whose
 * requests land on several workers is answered from what any of them made (src/api/route.ts,
 * sharedAnswer). Per process, and so per worker: the rate limiter
 * (RATE_LIMIT_PER_MINUTE: a caller whose connections land on two workers may make twice as many
 * requests) and the stream limits (STREAM_MAX_TOTAL). Relaying (RELAYER_KEY) keeps its nonce queue
 * in one process: it is refused with more than one worker.
 */
import cluster, { type Worker } from "node:cluster";
import crypto from "node:crypto";
import type { Logger } from "pino";
import { AggregatorRegistry, Registry } from "prom-client";
import type { Config } from "../config";
import { openDatabase } from "../db/connect";
import { DuetrailError } from "../errors";
import { metricsHandler } from "./app";
import { startMetricsServer } from "./server";
import { startEvidenceSweeper } from "./services/evidence-retention";
import type { CacheShare } from "./services/response-cache";

/** A cluster setting that cannot work (relaying with several workers). */
export class ClusterConfigError extends DuetrailError {
  override name = "ClusterConfigError";
}

const METRICS_REQUEST = "duetrail:metrics-request";
const METRICS_RESPONSE = "duetrail:metrics-response";
const LISTENING = "duetrail:listening";
const CACHE_PUT = "duetrail:cache-put";

interface ClusterMessage {
  type: string;
  id?: number;
  text?: string;
  error?: string;
  url?: string;
  generation?: string;
  key?: string;
  body?: Uint8Array;
  /** The route that made `body` (the response cache's routeOf). */
  route?: string;
}

export interface RunningCluster {
  url: string;
  metricsUrl?: string;
  close(): Promise<void>;
}

/** Whether this process is a worker of `serve --workers N`. */
export const isApiWorker = (): boolean => cluster.isWorker;

/** The primary: migrates, forks `config.apiWorkers` workers and resolves once every one listens. */
export async function startCluster(config: Config, logger: Logger): Promise<RunningCluster> {
  if (config.relayerKey) {
    throw new ClusterConfigError("RELAYER_KEY needs a single API process: the relayer's nonce queue lives in one process", {
      details: "run serve with --workers 1 (API_WORKERS=1), or relay from a separate single-worker API",
    });
  }
  // Migrations once, before any worker opens the database.
  const database = await openDatabase(config.databaseUrl);
  let secret = config.apiTokenSecret;
  if (!secret) {
    logger.warn("API_TOKEN_SECRET is not set: using a random secret shared by the workers (sessions end with this process)");
    secret = crypto.randomBytes(32).toString("hex");
  }
  const env = { API_TOKEN_SECRET: secret };
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let started = false;
  const listening = new Map<number, string>();
  let ready: () => void;
  let failed: (err: Error) => void;
  const allListening = new Promise<void>((resolve, reject) => ((ready = resolve), (failed = reject)));

  // The V8 serializer passes a response body's bytes as they are (JSON would spell out each byte).
  cluster.setupPrimary({ serialization: "advanced" });
  const fork = () => {
    const worker = cluster.fork(env);
    worker.on("message", (m: ClusterMessage) => void onMessage(worker, m));
    worker.on("exit", (code, signal) => {
      listening.delete(worker.id);
      if (stopping) return;
      if (!started) return failed(new ClusterConfigError(`an API worker exited before every worker listened (code ${code}, signal ${signal})`));
      logger.error({ worker: worker.id, code, signal }, "API worker exited: starting another");
      fork();
    });
  };
  const onMessage = async (worker: Worker, m: ClusterMessage) => {
    if (m.type === CACHE_PUT) {
      // A worker that is going away misses it: its cache goes with it (the callback takes the error).
      for (const other of Object.values(cluster.workers ?? {})) if (other && other !== worker && other.isConnected()) other.send(m, () => {});
    } else if (m.type === LISTENING && m.url) {
      listening.set(worker.id, m.url);
      if (!started && listening.size === config.apiWorkers) {
        started = true;
        ready();
      }
    } else if (m.type === METRICS_REQUEST) {
      try {
        worker.send({ type: METRICS_RESPONSE, id: m.id, text: await aggregator.clusterMetrics() });
      } catch (err) {
        worker.send({ type: METRICS_RESPONSE, id: m.id, error: (err as Error).message });
      }
    }
  };
  for (let i = 0; i < config.apiWorkers; i++) fork();
  await allListening;
  const url = [...listening.values()][0]!;

  const metrics =
    config.apiMetricsPort !== undefined
      ? await startMetricsServer(config.apiMetricsPort, config.host, metricsHandler({ registry: aggregator, metrics: () => aggregator.clusterMetrics(), options: { metricsToken: config.metricsToken } }), logger)
      : undefined;
  const metricsUrl = metrics?.url;
  const sweeper = startEvidenceSweeper({ db: database.db, dir: config.evidenceDir, logger, retentionDays: config.evidenceRetentionDays, now: () => Math.floor(Date.now() / 1000) });
  logger.info({ url, workers: config.apiWorkers, metrics: metricsUrl ?? `${url}/metrics`, db: database.location }, "API listening");
  return {
    url,
    metricsUrl,
    async close() {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              w.once("exit", () => resolve());
              w.process.kill("SIGTERM");
            }),
        ),
      );
      await metrics?.close();
      await sweeper.stop();
      await database.close();
    },
  };
}

/** A worker: tells the primary it listens at `url`, and ends when the primary goes. */
export function announceWorker(url: string, stop: () => void): void {
  process.send?.({ type: LISTENING, url });
  process.once("disconnect", stop);
}

/** A worker's share of the response cache: what it stores goes to the other workers through the primary. */
export function workerCacheShare(): CacheShare {
  return {
    publish(generation, key, body, route) {
      // Without a primary (it is stopping) the others miss it: nothing to do about that here.
      process.send?.({ type: CACHE_PUT, generation, key, body, route }, undefined, undefined, () => {});
    },
    subscribe(receive) {
      process.on("message", (m: ClusterMessage) => {
        if (m.type !== CACHE_PUT || m.generation === undefined || m.key === undefined || m.body === undefined) return;
        receive(m.generation, m.key, Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength), m.route);
      });
    },
  };
}

/** A worker's /metrics: every worker's registry, aggregated by the primary (prom-client's AggregatorRegistry). */
export function workerMetrics(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one registers prom-client's worker listener that answers the primary's requests.
  new AggregatorRegistry();
  let next = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on("message", (m: ClusterMessage) => {
    if (m.type !== METRICS_RESPONSE || m.id === undefined) return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error !== undefined) p?.reject(new ClusterConfigError(`the cluster's metrics could not be gathered: ${m.error}`, { retryable: true }));
    else p?.resolve(m.text ?? "");
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      process.send?.({ type: METRICS_REQUEST, id });
    });
}
