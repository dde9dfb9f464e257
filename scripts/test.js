#!/usr/bin/env node
// `npm test`: compiles the contracts once, then runs every test file (test/**/*.test.{ts,js}) in
// shards, `hardhat test --no-compile <files>` each, side by side: most of the suite waits on child
// processes, nodes and PostgreSQL, so two shards on two cores take about two thirds of the time of
// one run. Ends with the one line `N passed, N failed, N skipped`, the shards' sums, and exits
// non-zero when anything failed or a shard ended without its own closing line.
//
// Arguments (`npm test -- test/api/queue.test.ts --grep ...`) go to one `hardhat test` as they are.
// TEST_SHARDS sets the number of shards (default: 2, or 1 on a single core). The first shard
// prints as it runs; each other shard's output is printed whole once the first is done and it has
// ended. Files are dealt out longest first by scripts/test-durations.json (seconds a file took in
// one run; a file not listed counts as the median), each to the shard with the least so far.
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.join(__dirname, "..");
const HARDHAT = require.resolve("hardhat/internal/cli/bootstrap.js", { paths: [ROOT] });
const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped$/;

/** Runs hardhat with `args`; resolves with its exit code (stdio as given). */
function hardhat(args, stdio) {
  const child = spawn(process.execPath, [HARDHAT, ...args], { cwd: ROOT, stdio });
  running.add(child);
  const done = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1));
    }),
  );
  return { child, done };
}

const running = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    for (const child of running) child.kill(signal);
    process.exitCode = 130;
  });
}

function shardCount() {
  const raw = process.env.TEST_SHARDS;
  if (raw === undefined || raw === "") return Math.min(2, os.availableParallelism());
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`TEST_SHARDS must be a whole number of at least 1, not "${raw}"`);
  return n;
}

/** Every test file under test/, relative to the root, in a stable order. */
function testFiles(dir = "test") {
  const out = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(rel));
    else if (/\.test\.(ts|js|cjs|mjs)$/.test(entry.name)) out.push(rel);
  }
  return out.sort();
}

/** `files` dealt into `n` shards: longest first, each to the shard with the least time so far. */
function deal(files, n, durations) {
  const known = files.map((f) => durations[f]).filter((s) => typeof s === "number").sort((a, b) => a - b);
  const fallback = known.length ? known[Math.floor(known.length / 2)] : 1;
  const weight = (f) => (typeof durations[f] === "number" ? durations[f] : fallback);
  const shards = Array.from({ length: n }, () => ({ files: [], seconds: 0 }));
  for (const f of [...files].sort((a, b) => weight(b) - weight(a) || a.localeCompare(b))) {
    const least = shards.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    least.files.push(f);
    least.seconds += weight(f);
  }
  return shards.filter((s) => s.files.length > 0);
}

/** Runs one shard: its output streamed to stdout (`live`) or kept; its closing line taken out. */
function runShard(files, live) {
  const { child, done } = hardhat(["test", "--no-compile", ...files], ["ignore", "pipe", "pipe"]);
  let kept = "";
  let partial = "";
  let summary;
  const write = (text) => (live ? process.stdout.write(text) : (kept += text));
  child.stdout.on("data", (d) => {
    partial += d.toString();
    const lines = partial.split("\n");
    partial = lines.pop();
    for (const line of lines) {
      const m = SUMMARY.exec(line);
      if (m) summary = { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3]) };
      else write(`${line}\n`);
    }
  });
  child.stderr.on("data", (d) => (live ? process.stderr.write(d) : (kept += d.toString())));
  return done.then((code) => {
    if (partial) write(partial);
    return { code, summary, output: kept };
  });
}

async function main() {
  const args = process.argv.slice(2);
  const n = shardCount();
  if (args.length > 0 || n === 1) {
    process.exitCode = await hardhat(["test", ...args], "inherit").done;
    return;
  }
  const compiled = await hardhat(["compile", "--quiet"], "inherit").done;
  if (compiled !== 0) {
    process.exitCode = compiled;
    return;
  }
  const durationsFile = path.join(__dirname, "test-durations.json");
  const durations = fs.existsSync(durationsFile) ? JSON.parse(fs.readFileSync(durationsFile, "utf8")) : {};
  const shards = deal(testFiles(), n, durations);
  const started = Date.now();
  console.log(`${shards.length} shards side by side (TEST_SHARDS); shard 1 prints as it runs, the others when it is done\n`);
  const runs = shards.map((s, i) => runShard(s.files, i === 0));
  const total = { passed: 0, failed: 0, skipped: 0 };
  let code = 0;
  for (const [i, run] of runs.entries()) {
    const r = await run;
    if (i > 0) process.stdout.write(`\n--- shard ${i + 1} of ${shards.length} ---\n${r.output}`);
    const secs = Math.round((Date.now() - started) / 1000);
    if (r.summary) {
      for (const k of Object.keys(total)) total[k] += r.summary[k];
      console.log(`shard ${i + 1} (${shards[i].files.length} files, done by ${secs} s): ${r.summary.passed} passed, ${r.summary.failed} failed, ${r.summary.skipped} skipped`);
    } else {
      // It ended before mocha's end (a crash, a kill): counted as a failure, never as a pass.
      total.failed += 1;
      console.log(`shard ${i + 1} (${shards[i].files.length} files) ended with exit code ${r.code} before its closing line: counted as 1 failed`);
    }
    if (r.code !== 0) code = r.code || 1;
  }
  console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  process.exitCode = total.failed > 0 ? code || 1 : code;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
