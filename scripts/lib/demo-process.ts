/**
 * The demo (scripts/start.ts, what `npm start` runs after its compile step) in a process of its own
 * on free ports, with its data and deployments in temporary folders: for the end-to-end tests and
 * the console benchmark. `stop()` sends Ctrl-C to its process group, then SIGKILL after 20 s.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, REPO_ROOT } from "./local-node";

export interface DemoProcess {
  child: ChildProcess;
  api: string;
  rpcUrl: string;
  dataDir: string;
  deploymentsDir: string;
  /** The demo's service tokens by role (collector, lender, auditor, ...). */
  tokens: Record<string, string>;
  /** Everything the demo printed so far. */
  output(): string;
  /** Stops it (if still running) and removes its folders. */
  stop(): Promise<void>;
}

/** Starts the demo and resolves once it prints that it is running (rejects if it exits or takes over `timeoutMs`). */
export async function startDemo(env: Record<string, string> = {}, timeoutMs = 300_000): Promise<DemoProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-demo-data-"));
  const deploymentsDir = fs.mkdtempSync(path.join(os.tmpdir(), "duetrail-demo-deployments-"));
  const [apiPort, nodePort] = [await freePort(), await freePort()];
  const inherited = { ...process.env };
  delete inherited.RPC_URL; // the demo starts its own chain
  const child = spawn(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--swc", "scripts/start.ts"], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...inherited, PORT: String(apiPort), NODE_PORT: String(nodePort), DUETRAIL_DATA_DIR: dataDir, DEPLOYMENTS_DIR: deploymentsDir, ...env },
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid!, "SIGINT");
      } catch {
        // gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // gone
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(deploymentsDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not start in ${timeoutMs / 60_000} minutes:\n${output}`)), timeoutMs);
      const poll = setInterval(() => {
        if (output.includes("Duetrail is running")) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve();
        }
      }, 200);
      child.once("exit", (code) => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`the demo exited (${code}):\n${output}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const tokens = JSON.parse(fs.readFileSync(path.join(dataDir, "demo-tokens.json"), "utf8")) as Record<string, string>;
  return { child, api: `http://127.0.0.1:${apiPort}`, rpcUrl: `http://127.0.0.1:${nodePort}`, dataDir, deploymentsDir, tokens, output: () => output, stop };
}
