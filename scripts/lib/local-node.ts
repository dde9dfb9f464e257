/**
 * A local chain for tests and benchmarks: a real `hardhat node` in a child process (its own
 * process group, killed with the group), deployments in a temporary folder, and the workload
 * generator — the same scripts a user runs, so tests and benchmarks exercise the real paths.
 * (test/support/chain.ts re-exports it for the tests.)
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const ROOT = path.resolve(__dirname, "..", "..");
const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface TestNode {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `npx hardhat node` on a free port (or `port`) and waits until it serves JSON-RPC. */
export async function startNode(extraArgs: string[] = [], port?: number): Promise<TestNode> {
  port ??= await freePort();
  const child = spawn("npx", ["hardhat", "node", "--port", String(port), ...extraArgs], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hardhat node did not start in 60 s:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes("Started HTTP and WebSocket JSON-RPC server")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.on("exit", (code) => reject(new Error(`hardhat node exited (${code}):\n${output}`)));
  });
  child.stdout!.removeAllListeners("data");
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () => killGroup(child),
  };
}

/** Kills a detached child's whole process group and waits for it to exit. */
export async function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal);
  }
  await exited;
}

/** A fresh temporary deployments folder. */
export function tempDeploymentsDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-deployments-"));
}

function hardhatEnv(url: string, deploymentsDir: string, extra: Record<string, string> = {}) {
  return { ...process.env, RPC_URL: url, DEPLOYMENTS_DIR: deploymentsDir, ...extra };
}

/** Deploys with scripts/deploy.ts to `url`, writing `<deploymentsDir>/localhost/`. */
export async function deployTo(url: string, deploymentsDir: string): Promise<void> {
  await run("npx", ["hardhat", "run", "scripts/deploy.ts", "--network", "localhost"], {
    cwd: ROOT,
    env: hardhatEnv(url, deploymentsDir),
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** Runs scripts/workload.ts (loans per round, rounds, actions per loan) against `url`. */
export async function runWorkloadOn(url: string, deploymentsDir: string, w: { loans: number; rounds: number; actions: number }): Promise<void> {
  await run("npx", ["hardhat", "run", "scripts/workload.ts", "--network", "localhost"], {
    cwd: ROOT,
    env: hardhatEnv(url, deploymentsDir, { LOANS: String(w.loans), ROUNDS: String(w.rounds), ACTIONS: String(w.actions) }),
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** Raw JSON-RPC call (evm_snapshot, evm_revert, evm_mine, ...). */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

export const REPO_ROOT = ROOT;
