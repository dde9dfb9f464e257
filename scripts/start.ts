/**
 * `npm start`: a working ledger in about a minute. Starts the Hardhat network as JSON-RPC on
 * 127.0.0.1:8545 (or uses RPC_URL), deploys, seeds the demo portfolio while advancing chain time,
 * then runs the keeper, the indexer (./data/duetrail.db) and the API (127.0.0.1:8080), prints a
 * banner with URLs, tokens and curl commands, and writes the tokens to data/demo-tokens.json.
 * Ctrl-C stops every process it started. Each start is fresh; `npm start -- --resume` keeps
 * ./data and skips deploy and seed (for an external node given by RPC_URL that still has them).
 * Environment: PORT (API, 8080), NODE_PORT (chain, 8545), RPC_URL (use that node instead),
 * DUETRAIL_DATA_DIR (./data), DEPLOYMENTS_DIR (./deployments), LOANS_PER_LENDER (100), MONTHS (6).
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { serviceToken } from "../src/api/auth/tokens";
import { DEMO_ACCOUNTS } from "./lib/demo-accounts";
import { DAY_SECONDS } from "../src/domain";

const ROOT = path.resolve(__dirname, "..");
/** Where the database, logs and tokens go (DUETRAIL_DATA_DIR, default ./data). */
const DATA = path.resolve(process.env.DUETRAIL_DATA_DIR ?? path.join(ROOT, "data"));
/** Where the local chain listens when the command starts it (NODE_PORT, default 8545). */
const NODE_PORT = Number(process.env.NODE_PORT ?? 8545);
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";
const API_PORT = Number(process.env.PORT ?? 8080);
const resume = process.argv.includes("--resume");

const children: ChildProcess[] = [];
let stopping = false;

function log(msg: string) {
  process.stderr.write(`[start] ${msg}\n`);
}

/** Hardhat's public development keys (never real funds): account i of the test mnemonic. */
function devKey(i: number): `0x${string}` {
  return toHex(mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: i }).getHdKey().privateKey!);
}
const devAddress = (i: number) => mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex: i }).address;

function spawnChild(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, logFile?: string): ChildProcess {
  const out = logFile ? fs.openSync(logFile, "a") : "inherit";
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", out, logFile ? out : "inherit"] });
  children.push(child);
  child.on("exit", (code, signal) => {
    if (!stopping && code !== 0) {
      log(`${name} exited (${signal ?? code})${logFile ? `; see ${path.relative(ROOT, logFile)}` : ""}`);
      void shutdown(1);
    }
  });
  return child;
}

function runToEnd(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "ignore", "inherit"] });
    children.push(child);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${name} failed (exit ${code})`))));
  });
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer().once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

async function waitFor(url: string, ok: (r: Response) => boolean, timeoutMs: number, what: string, init?: RequestInit): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (ok(await fetch(url, init))) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not come up within ${timeoutMs / 1000} s`);
}

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log("stopping ...");
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(-c.pid!, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
    const deadline = Date.now() + 8_000;
    while (children.some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(-c.pid!, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    log("stopped");
  }
  process.exit(code);
}

async function main(): Promise<void> {
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));
  fs.mkdirSync(DATA, { recursive: true });
  const started = Date.now();
  const external = process.env.RPC_URL;
  const rpcUrl = external ?? `http://127.0.0.1:${NODE_PORT}`;
  if (!(await portFree(API_PORT))) throw new Error(`port ${API_PORT} is in use: stop what runs there or set PORT`);

  if (!resume) {
    for (const f of ["duetrail.db", "duetrail.db-wal", "duetrail.db-shm", "demo-tokens.json", "api-secret"]) fs.rmSync(path.join(DATA, f), { force: true });
    fs.rmSync(path.join(DATA, "batches"), { recursive: true, force: true });
  }
  if (!external) {
    if (!(await portFree(NODE_PORT))) throw new Error(`port ${NODE_PORT} is in use: stop the node running there, or point RPC_URL at it`);
    log(`starting the Hardhat network on 127.0.0.1:${NODE_PORT}`);
    spawnChild("hardhat node", "npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(NODE_PORT)], {}, path.join(DATA, "node.log"));
    await waitFor(rpcUrl, (r) => r.ok, 60_000, "the Hardhat node", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
  } else {
    log(`using the node at ${external}`);
  }
  const deploymentsDir = path.resolve(process.env.DEPLOYMENTS_DIR ?? path.join(ROOT, "deployments"));
  const env = { RPC_URL: rpcUrl, DEPLOYMENTS_DIR: deploymentsDir };
  if (!resume) {
    log("deploying LoanLedger, CollectionLog and TestUSD");
    await runToEnd("deploy", "npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], env);
    await runToEnd("seed", "npx", ["hardhat", "run", "scripts/seed.ts", "--network", "localhost"], {
      ...env,
      BATCH_FILE: path.join(DATA, "batches", "batch-1.json"),
    });
  }

  const secretFile = path.join(DATA, "api-secret");
  if (!fs.existsSync(secretFile)) fs.writeFileSync(secretFile, crypto.randomBytes(32).toString("hex"), { mode: 0o600 });
  const secret = fs.readFileSync(secretFile, "utf8").trim();
  // The CLI as transpiled by the compile above (dist/, scripts/build-js.js): no TypeScript compiler in these processes.
  const cli = [path.join(ROOT, "dist", "cli", "index.js")];
  log("starting the keeper, the indexer and the API");
  spawnChild("keeper", process.execPath, [...cli, "keeper", "--interval-ms", "5000"], { ...env, KEEPER_KEY: devKey(DEMO_ACCOUNTS.keeper), LOG_LEVEL: "info" }, path.join(DATA, "keeper.log"));
  spawnChild("indexer", process.execPath, [...cli, "index"], { ...env, DATABASE_URL: path.join(DATA, "duetrail.db"), NETWORK: "localhost" }, path.join(DATA, "indexer.log"));
  spawnChild(
    "api",
    process.execPath,
    [...cli, "serve"],
    {
      ...env,
      DATABASE_URL: path.join(DATA, "duetrail.db"),
      NETWORK: "localhost",
      PORT: String(API_PORT),
      API_TOKEN_SECRET: secret,
      // Sign-In with Ethereum is bound to the demo's own origin (never the request's Host).
      SIWE_DOMAIN: `127.0.0.1:${API_PORT}`,
      SIWE_URI: `http://127.0.0.1:${API_PORT}`,
      // The API's relayer submits the actions collectors sign (a development account of its own).
      RELAYER_KEY: devKey(DEMO_ACCOUNTS.relayer),
      EVIDENCE_DIR: path.join(DATA, "evidence"),
    },
    path.join(DATA, "api.log"),
  );
  const api = `http://127.0.0.1:${API_PORT}`;
  await waitFor(`${api}/readyz`, (r) => r.status === 200, 180_000, "the indexer and API");

  const ttl = 30 * DAY_SECONDS;
  const tokens = {
    lender: serviceToken(devAddress(DEMO_ACCOUNTS.lenders[0]), secret, ttl).token,
    otherLender: serviceToken(devAddress(DEMO_ACCOUNTS.lenders[1]), secret, ttl).token,
    collector: serviceToken(devAddress(DEMO_ACCOUNTS.collectors[0]), secret, ttl).token,
    otherCollector: serviceToken(devAddress(DEMO_ACCOUNTS.collectors[1]), secret, ttl).token,
    auditor: serviceToken(devAddress(DEMO_ACCOUNTS.auditor), secret, ttl).token,
  };
  fs.writeFileSync(path.join(DATA, "demo-tokens.json"), JSON.stringify(tokens, null, 2) + "\n");
  const secs = Math.round((Date.now() - started) / 1000);
  const tokensFile = `./${path.relative(ROOT, path.join(DATA, "demo-tokens.json"))}`;
  process.stdout.write(
    [
      "",
      `Duetrail is running (ready in ${secs} s). Ctrl-C stops everything.`,
      "",
      `  chain     ${rpcUrl}  (contracts in ${path.relative(ROOT, deploymentsDir) || "."}/localhost/)`,
      `  API       ${api}/v1   docs ${api}/docs   OpenAPI ${api}/openapi.json`,
      `  queue     ${api}/v1/queue   metrics ${api}/metrics`,
      `  logs      ${path.relative(ROOT, DATA)}/{node,indexer,keeper,api}.log   database ${path.relative(ROOT, DATA)}/duetrail.db`,
      "",
      `  tokens (also in ${tokensFile}):`,
      ...Object.entries(tokens).map(([k, v]) => `    ${k.padEnd(15)} ${v}`),
      "",
      "  try:",
      `    curl -s -H "Authorization: Bearer $(node -p 'require("${tokensFile}").collector')" ${api}/v1/queue?limit=3`,
      `    curl -s -H "Authorization: Bearer $(node -p 'require("${tokensFile}").lender')" "${api}/v1/loans?bucket=M2&sort=-dpd&limit=5"`,
      `    curl -s -H "Authorization: Bearer $(node -p 'require("${tokensFile}").auditor')" ${api}/v1/loans/1/evidence`,
      "",
    ].join("\n"),
  );
  await new Promise(() => undefined);
}

main().catch((err) => {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  void shutdown(1);
});
