/**
 * `npm start`: a working ledger in about a minute. Starts the Hardhat network as JSON-RPC on
 * 127.0.0.1:8545 (or uses RPC_URL), deploys, seeds the demo portfolio while advancing chain time,
 * then runs the keeper, the indexer (./data/duetrail.db), the API (127.0.0.1:8080), the notifier and
 * the strategy's scorer (the demo lenders' strategy: scripts/demo-strategy/), prints a
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
import { keccak256, toBytes, toHex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { serviceToken } from "../src/api/auth/tokens";
import { DEMO_ACCOUNTS } from "./lib/demo-accounts";
import { DAY_SECONDS } from "../src/domain";
import { startDemoStandIns } from "../src/notify/standins";

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
let stopStandIns: (() => Promise<void>) | undefined;

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

async function waitUntil(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (await probe()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what} did not come within ${timeoutMs / 1000} s`);
}

/** A secret of the demo kept in DATA/<name> (mode 600), made by `make` the first time. */
function demoSecret(name: string, make: () => string): string {
  const file = path.join(DATA, name);
  if (!fs.existsSync(file)) fs.writeFileSync(file, make(), { mode: 0o600 });
  return fs.readFileSync(file, "utf8").trim();
}

/**
 * The contact directory of lender `li`'s seeded borrowers (scripts/lib/seed.ts: borrower ref
 * keccak256("salt-<i>:customer-<100000+i>"), UTC offsets +8, +8, +8, +8, -5, +1 by index):
 * made-up addresses on example domains, time zones and languages matching the offsets, every
 * channel consented.
 */
function demoContacts(li: number) {
  const perLender = Number(process.env.LOANS_PER_LENDER ?? 100);
  const zones = [
    { timeZone: "Asia/Shanghai", jurisdiction: "CN", language: "zh-CN", phone: (c: number) => `+86139${String(c).padStart(8, "0")}` },
    { timeZone: "Asia/Shanghai", jurisdiction: "CN", language: "zh-CN", phone: (c: number) => `+86139${String(c).padStart(8, "0")}` },
    { timeZone: "Asia/Shanghai", jurisdiction: "CN", language: "zh-CN", phone: (c: number) => `+86139${String(c).padStart(8, "0")}` },
    { timeZone: "Asia/Shanghai", jurisdiction: "CN", language: "en", phone: (c: number) => `+86139${String(c).padStart(8, "0")}` },
    { timeZone: "America/New_York", jurisdiction: "US-NY", language: "en", phone: (c: number) => `+1212555${String(c).slice(-4)}` },
    { timeZone: "Europe/Paris", jurisdiction: "FR", language: "en", phone: (c: number) => `+336${String(c).padStart(8, "0")}` },
  ];
  return Array.from({ length: perLender }, (_, k) => {
    const index = li * perLender + k;
    const z = zones[index % zones.length];
    const customer = 100_000 + index;
    return {
      borrowerRef: keccak256(toBytes(`salt-${index}:customer-${customer}`)),
      email: `customer-${customer}@example.com`,
      phone: z.phone(customer),
      postalAddress: `${customer} Demo Road\n${z.timeZone.split("/")[1].replace("_", " ")}`,
      language: z.language,
      timeZone: z.timeZone,
      jurisdiction: z.jurisdiction,
      consentSms: true,
      consentEmail: true,
      consentLetter: true,
      consentWebhook: true,
    };
  });
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
    await stopStandIns?.().catch(() => undefined);
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
    for (const d of ["batches", "mail", "letters", "evidence"]) fs.rmSync(path.join(DATA, d), { recursive: true, force: true });
    fs.rmSync(path.join(DATA, "sms.log"), { force: true });
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

  const secret = demoSecret("api-secret", () => crypto.randomBytes(32).toString("hex"));
  // The demo's contact-data key and SMS receipt secret: made once per data folder, kept beside the database (never in git).
  const piiKey = demoSecret("pii-key", () => `demo1:${crypto.randomBytes(32).toString("hex")}`);
  const smsReceiptSecret = demoSecret("sms-receipt-secret", () => crypto.randomBytes(32).toString("hex"));
  // The CLI as transpiled by the compile above (dist/, scripts/build-js.js): no TypeScript compiler in these processes.
  const cli = [path.join(ROOT, "dist", "cli", "index.js")];
  const api = `http://127.0.0.1:${API_PORT}`;
  if (!resume) {
    log("importing the demo borrowers' contacts (encrypted under data/pii-key)");
    for (const [li, lender] of DEMO_ACCOUNTS.lenders.entries()) {
      const file = path.join(DATA, `contacts-${li}.json`);
      fs.writeFileSync(file, JSON.stringify(demoContacts(li)), { mode: 0o600 });
      await runToEnd("borrowers import", process.execPath, [...cli, "borrowers", "import", "--file", file, "--lender", devAddress(lender)], { DATABASE_URL: path.join(DATA, "duetrail.db"), PII_KEY: piiKey });
      fs.rmSync(file);
    }
  }
  const standIns = await startDemoStandIns({ dataDir: DATA, smsReceiptSecret, smsStatusCallbackUrl: `${api}/v1/notify/sms-receipts` });
  stopStandIns = () => standIns.stop();
  log("starting the keeper, the indexer, the API and the notifier");
  spawnChild("keeper", process.execPath, [...cli, "keeper", "--interval-ms", "5000"], { ...env, KEEPER_KEY: devKey(DEMO_ACCOUNTS.keeper), LOG_LEVEL: "info" }, path.join(DATA, "keeper.log"));
  // The Hardhat node announces new heads on the same port over WebSocket: the indexer follows them.
  // (An external node: RPC_WS_URL as the environment has it.)
  const ws = external ? {} : { RPC_WS_URL: rpcUrl.replace(/^http/, "ws") };
  spawnChild("indexer", process.execPath, [...cli, "index"], { ...env, ...ws, DATABASE_URL: path.join(DATA, "duetrail.db"), NETWORK: "localhost" }, path.join(DATA, "indexer.log"));
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
      PII_KEY: piiKey,
      SMS_RECEIPT_SECRET: smsReceiptSecret,
      // The console (console/dist, built by npm install) offers a role picker over the demo's tokens.
      CONSOLE_DIR: path.join(ROOT, "console", "dist"),
      DEMO_TOKENS_FILE: path.join(DATA, "demo-tokens.json"),
    },
    path.join(DATA, "api.log"),
  );
  await waitFor(`${api}/readyz`, (r) => r.status === 200, 180_000, "the indexer and API");
  const db = { DATABASE_URL: path.join(DATA, "duetrail.db") };
  if (!resume) {
    log("publishing the demo lenders' collection strategy (scripts/demo-strategy/) and scoring their loans");
    for (const lender of DEMO_ACCOUNTS.lenders) {
      await runToEnd("strategy set", process.execPath, [...cli, "strategy", "set", "--file", path.join(ROOT, "scripts", "demo-strategy", "strategy.json"), "--lender", devAddress(lender), "--model", path.join(ROOT, "scripts", "demo-strategy", "model.json")], db);
    }
    await runToEnd("strategy score", process.execPath, [...cli, "strategy", "score"], db);
  }
  spawnChild("scorer", process.execPath, [...cli, "strategy", "score", "--watch", "--interval-ms", "5000"], db, path.join(DATA, "scorer.log"));
  spawnChild(
    "notifier",
    process.execPath,
    [...cli, "notify"],
    {
      ...env,
      ...standIns.env,
      DATABASE_URL: path.join(DATA, "duetrail.db"),
      NETWORK: "localhost",
      PII_KEY: piiKey,
      NOTIFIER_KEY: devKey(DEMO_ACCOUNTS.notifier),
      EVIDENCE_DIR: path.join(DATA, "evidence"),
      LETTERS_DIR: path.join(DATA, "letters"),
      LOG_LEVEL: "info",
    },
    path.join(DATA, "notify.log"),
  );

  const ttl = 30 * DAY_SECONDS;
  const tokens = {
    lender: serviceToken(devAddress(DEMO_ACCOUNTS.lenders[0]), secret, ttl).token,
    otherLender: serviceToken(devAddress(DEMO_ACCOUNTS.lenders[1]), secret, ttl).token,
    collector: serviceToken(devAddress(DEMO_ACCOUNTS.collectors[0]), secret, ttl).token,
    otherCollector: serviceToken(devAddress(DEMO_ACCOUNTS.collectors[1]), secret, ttl).token,
    auditor: serviceToken(devAddress(DEMO_ACCOUNTS.auditor), secret, ttl).token,
    agency: serviceToken(devAddress(DEMO_ACCOUNTS.agency), secret, ttl).token,
    agencyCollector: serviceToken(devAddress(DEMO_ACCOUNTS.agencyCollector), secret, ttl).token,
  };
  fs.writeFileSync(path.join(DATA, "demo-tokens.json"), JSON.stringify(tokens, null, 2) + "\n");
  // Ready means the seeded history's notices are out: the first ones sent (and their trail records on the way).
  await waitFor(`${api}/v1/portfolio/notices`, (r) => r.ok, 120_000, "the notifier", { headers: { authorization: `Bearer ${tokens.lender}` } });
  await waitUntil(async () => {
    const r = await fetch(`${api}/v1/notices?status=sent&limit=1`, { headers: { authorization: `Bearer ${tokens.lender}` } });
    const d = (await r.json()) as { items?: unknown[] };
    const r2 = await fetch(`${api}/v1/notices?status=delivered&limit=1`, { headers: { authorization: `Bearer ${tokens.lender}` } });
    const d2 = (await r2.json()) as { items?: unknown[] };
    return (d.items?.length ?? 0) + (d2.items?.length ?? 0) > 0;
  }, 120_000, "the first notices");
  const secs = Math.round((Date.now() - started) / 1000);
  const tokensFile = `./${path.relative(ROOT, path.join(DATA, "demo-tokens.json"))}`;
  process.stdout.write(
    [
      "",
      `Duetrail is running (ready in ${secs} s). Ctrl-C stops everything.`,
      "",
      `  chain     ${rpcUrl}  (contracts in ${path.relative(ROOT, deploymentsDir) || "."}/localhost/)`,
      `  console   ${api}/   (sign in as any demo role)`,
      `  API       ${api}/v1   docs ${api}/docs   OpenAPI ${api}/openapi.json`,
      `  queue     ${api}/v1/queue   metrics ${api}/metrics`,
      `  logs      ${path.relative(ROOT, DATA)}/{node,indexer,keeper,api,notify,scorer}.log   database ${path.relative(ROOT, DATA)}/duetrail.db`,
      `  notices   ${api}/v1/notices   email ${path.relative(ROOT, DATA)}/mail/*.eml   SMS ${path.relative(ROOT, DATA)}/sms.log   letters ${path.relative(ROOT, DATA)}/letters/`,
      "",
      `  tokens (also in ${tokensFile}):`,
      ...Object.entries(tokens).map(([k, v]) => `    ${k.padEnd(15)} ${v}`),
      "",
      "  try:",
      `    curl -s -H "Authorization: Bearer $(node -p 'require("${tokensFile}").collector')" ${api}/v1/queue?limit=3`,
      `    curl -s -H "Authorization: Bearer $(node -p 'require("${tokensFile}").lender')" "${api}/v1/loans?bucket=M2&sort=-dpd&limit=5"`,
      `    curl -s -H "Authorization: Bearer $(node -p 'require("${tokensFile}").auditor')" ${api}/v1/loans/1/evidence`,
      `    curl -s -H "Authorization: Bearer $(node -p 'require("${tokensFile}").lender')" "${api}/v1/notices?limit=3"`,
      "",
    ].join("\n"),
  );
  await new Promise(() => undefined);
}

main().catch((err) => {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  void shutdown(1);
});
