/**
 * The processes of an API benchmark: `serve` on a book, as operators run it, and the chain writer
 * that moves the book (bench/api/chain-writer.ts), each in a process of its own (the load
 * generator must not share their event loops).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { WRITER } from "./realistic";

/** The checkout this benchmark runs from. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The token secret every benchmark server is started with (its callers' tokens are signed with it). */
export const BENCH_SECRET = "bench-secret-0123456789abcdef0123456789";

export interface ServeOptions {
  /** Response cache in MB ("0": off). */
  cacheMb: string;
  /** A scratch folder (evidence, the deployments folder that does not exist). */
  dir: string;
  workers?: number;
  /** The checkout whose build (dist/) is run: this one by default. */
  root?: string;
}

/**
 * `serve` on the database `db` as operators run it (`npm run cli -- serve`: the CLI transpiled to
 * dist/ by the compile before the bench). BENCH_SERVE_NODE_ARGS (dev only) passes node options to
 * the server and its workers.
 */
export async function startServe(db: string, { cacheMb, dir, workers = 1, root = REPO_ROOT }: ServeOptions): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVE_NODE_ARGS ? process.env.BENCH_SERVE_NODE_ARGS.split(" ") : []),
      path.join(root, "dist", "cli", "index.js"),
      "serve",
      "--db",
      db,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--deployments",
      path.join(dir, "no-deployments"), // no chain access: these endpoints read the database only
      "--rate-limit",
      "10000000", // the benchmark measures the queries, not the limiter
      "--response-cache-mb",
      cacheMb,
      "--workers",
      String(workers),
      "--evidence-dir",
      path.join(dir, "evidence"),
      "--log-level",
      "info",
    ],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, API_TOKEN_SECRET: BENCH_SECRET } },
  );
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s:\n${out}`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:[^"]+)"[^\n]*"msg":"API listening"/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => reject(new Error(`serve exited (${code}):\n${out}`)));
  });
  return { url, child };
}

/** Stops a benchmark process (serve, the writer) with SIGTERM and waits for it to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

/**
 * bench/api/chain-writer.ts on the book, in a process of its own: a new indexed block every 2 s.
 * `blocks` gets each block as the writer printed it, with `at`: when this process read the line
 * (performance.now() ms, just after the block's commit made it visible).
 */
export function startWriter(db: string, loans: number): { child: ChildProcess; blocks: { block: number; ms: number; at: number }[] } {
  const child = spawn(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--swc", path.join("bench", "api", "chain-writer.ts"), db, String(loans), String(WRITER.intervalMs), String(WRITER.loansPerBlock)], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const blocks: { block: number; ms: number; at: number }[] = [];
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      blocks.push({ ...(JSON.parse(buf.slice(0, i)) as { block: number; ms: number }), at: performance.now() });
      buf = buf.slice(i + 1);
    }
  });
  return { child, blocks };
}
