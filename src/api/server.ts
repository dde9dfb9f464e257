import crypto from "node:crypto";
import http from "node:http";
import type { Logger } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { createWalletClient, http as httpTransport } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { Config } from "../config";
import { openDatabase, type DatabaseHandle } from "../db/connect";
import { loadDeployment } from "../chain/deployments";
import { createChainClient } from "../chain/client";
import express from "express";
import { createRequestListener, metricsHandler } from "./app";
import { notFound, PROBLEM_JSON, problemHandler } from "./errors";
import type { ApiServices } from "./context";
import { startEvidenceSweeper } from "./services/evidence-retention";
import { piiKeyring } from "../pii/crypto";
import { workerCacheShare, workerMetrics } from "./cluster";

export interface RunningServer {
  url: string;
  server: http.Server;
  /** The /metrics listener when API_METRICS_PORT is set. */
  metricsUrl?: string;
  database: DatabaseHandle;
  close(): Promise<void>;
}

/**
 * Opens the database (migrations run), reads deployments/<network>/ for chain access, builds the
 * app and listens. Without API_TOKEN_SECRET a random secret is used: sessions then end with the
 * process and service tokens cannot be issued.
 */
export async function startServer(config: Config, logger: Logger, role: { worker?: boolean } = {}): Promise<RunningServer> {
  // The API's reads repeat: PostgreSQL parses and plans each once per connection.
  const database = await openDatabase(config.databaseUrl, { preparedReads: true, poolSize: config.dbPoolSize });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "duetrail_api_" });
  let chain: ApiServices["chain"];
  try {
    const deployment = loadDeployment(config.network, config.deploymentsDir);
    const client = createChainClient(config.rpcUrl, { timeoutMs: 10_000 });
    const relayer = config.relayerKey
      ? createWalletClient({ account: privateKeyToAccount(config.relayerKey as `0x${string}`), transport: httpTransport(config.rpcUrl) })
      : undefined;
    chain = { client, deployment, relayer };
  } catch (err) {
    logger.warn({ err: (err as Error).message }, "no chain access: evidence verification, relaying and /readyz lag checks are off");
  }
  if (!config.apiTokenSecret) logger.warn("API_TOKEN_SECRET is not set: using a random secret (sessions end with this process)");
  if (!config.siweDomain || !config.siweUri) logger.warn("SIWE_DOMAIN and SIWE_URI are not both set: Sign-In with Ethereum is off (POST /v1/auth/verify answers 503)");
  if (!config.metricsToken && config.apiMetricsPort === undefined && !isLoopback(config.host)) {
    logger.warn("/metrics is open on a non-loopback address: set METRICS_TOKEN or API_METRICS_PORT");
  }
  if (!config.piiKey) logger.warn("PII_KEY is not set: the borrower contact routes answer 503 (erasure excepted)");
  const services: ApiServices = {
    db: database.db,
    dialect: database.dialect,
    logger,
    registry,
    chain,
    pii: config.piiKey ? piiKeyring(config) : undefined,
    options: apiOptionsOf(config),
    now: () => Math.floor(Date.now() / 1000),
    // A cluster worker's /metrics is every worker's (src/api/cluster.ts).
    metrics: role.worker ? workerMetrics(registry) : undefined,
    cacheShare: role.worker ? workerCacheShare() : undefined,
  };
  const server = http.createServer(createRequestListener(services));
  answerClientErrors(server);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as { port: number };
  const url = `http://${config.host}:${address.port}`;
  const metrics = config.apiMetricsPort !== undefined && !role.worker ? await startMetricsServer(config.apiMetricsPort, config.host, metricsHandler(services), logger) : undefined;
  const metricsUrl = metrics?.url;
  // A worker's primary says "API listening" once every worker does, and sweeps evidence for all.
  logger.info({ url, metrics: metricsUrl ?? `${url}/metrics`, db: database.location }, role.worker ? "API worker listening" : "API listening");
  const sweeper = role.worker ? { stop: async () => {} } : startEvidenceSweeper({ db: database.db, dir: config.evidenceDir, logger, retentionDays: config.evidenceRetentionDays, now: services.now });
  return {
    url,
    server,
    metricsUrl,
    database,
    async close() {
      await closeServer(server);
      await metrics?.close();
      await sweeper.stop();
      await database.close();
    },
  };
}

/** Stops accepting connections, waits for the server to close, and drops the idle keep-alive ones. */
async function closeServer(server: http.Server): Promise<void> {
  await new Promise<void>((r) => server.close(() => r()));
  server.closeAllConnections();
}

/** /metrics alone on `port` (API_METRICS_PORT), served by `handler`. */
export async function startMetricsServer(port: number, host: string, handler: express.RequestHandler, logger: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const m = express();
  m.disable("x-powered-by");
  m.get("/metrics", handler);
  m.use(notFound);
  m.use(problemHandler((err) => logger.error({ err: (err as Error).message }, "metrics failed")));
  const server = http.createServer(m);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { url: `http://${host}:${(server.address() as { port: number }).port}/metrics`, close: () => closeServer(server) };
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");

/**
 * Requests Node's HTTP parser rejects before Express sees them (an unknown method token, bytes
 * not allowed in a path, oversized headers) are answered as problem+json too, instead of Node's
 * bare "400 Bad Request". This is the one problem+json written outside the error middleware:
 * Express never sees these requests, so there is nothing to hand it.
 */
export function answerClientErrors(server: http.Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (err.code === "ECONNRESET" || !socket.writable) return socket.destroy();
    const [status, title] =
      err.code === "HPE_HEADER_OVERFLOW" ? [431, "Request Header Fields Too Large"] : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? [408, "Request Timeout"] : [400, "Bad Request"];
    const body = JSON.stringify({ type: "about:blank", title, status, detail: "the request is not valid HTTP" });
    // A HEAD request gets the headers only (its client reads no body).
    const head = (err as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString("latin1") === "HEAD ";
    socket.end(`HTTP/1.1 ${status} ${title}\r\ncontent-type: ${PROBLEM_JSON}; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${head ? "" : body}`);
  });
}

/** The API's options from the configuration (a random token secret when none is set). */
export function apiOptionsOf(config: Config): ApiServices["options"] {
  return {
    tokenSecret: config.apiTokenSecret ?? crypto.randomBytes(32).toString("hex"),
    sessionTtlSec: config.sessionTtlSec,
    siweDomain: config.siweDomain,
    siweUri: config.siweUri,
    siweNoncesPerClient: config.siweNoncesPerClient,
    serviceTokenMaxDays: config.serviceTokenMaxDays,
    corsOrigins: config.corsOrigins,
    trustProxy: config.trustProxy,
    metricsToken: config.metricsToken,
    metricsElsewhere: config.apiMetricsPort !== undefined,
    idempotencyKeysPerCaller: config.idempotencyKeysPerCaller,
    relayBudgetPerDay: config.relayBudgetPerDay,
    relayWaitMs: config.relayWaitMs,
    rateLimitPerMinute: config.rateLimitPerMinute,
    evidenceDir: config.evidenceDir,
    smsReceiptSecret: config.smsReceiptSecret,
    smsReceiptToleranceSec: config.smsReceiptToleranceSec,
    maxEvidenceBytes: config.maxEvidenceBytes,
    evidenceQuotaBytesPerDay: config.evidenceQuotaBytesPerDay,
    evidenceMinFreeBytes: config.evidenceMinFreeBytes,
    evidenceRetentionDays: config.evidenceRetentionDays,
    maxLagBlocks: config.maxLagBlocks,
    responseCacheBytes: config.responseCacheMb * 1024 * 1024,
    streamMaxPerCaller: config.streamMaxPerCaller,
    streamMaxTotal: config.streamMaxTotal,
    consoleDir: config.consoleDir,
    demoTokensFile: config.demoTokensFile,
  };
}
