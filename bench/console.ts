/**
 * Console budget benchmark (npm run bench:console): the demo as `npm start` seeds it, its console in
 * the machine's headless Chromium (playwright-core, CHROMIUM_PATH or /usr/bin/chromium).
 *   firstPageJsKbGz — the JavaScript the browser loads until the collector's queue has rendered
 *                     (every .js response, each gzipped at zlib's default level, as a server would
 *                     send it), in kB; budget 250.
 *   queueRenderMs   — from navigation to /queue (signed in) until the queue's 50th row (or its last,
 *                     for a smaller queue) is in the page: the median of 7 runs in fresh browser
 *                     contexts (no HTTP cache) after one warm-up; budget 1,500 ms.
 * Writes bench/results/console.json and prints the figures; exit code 1 when a budget is missed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { chromium, type Browser } from "playwright-core";
import { getAddress } from "viem";
import { startDemo } from "../scripts/lib/demo-process";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const RUNS = 7;
const QUEUE_ROWS = 50;
const BUDGET = { firstPageJsKbGz: 250, queueRenderMs: 1_500 };
const DIST = path.resolve(__dirname, "..", "console", "dist", "index.html");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const subjectOf = (token: string) => getAddress(JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString("utf8")).sub);

/** One cold load of the queue: milliseconds to the last expected row, and the JavaScript fetched on the way. */
async function loadQueue(browser: Browser, api: string, session: string, rows: number) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(`sessionStorage.setItem("duetrail.session", ${JSON.stringify(session)});`);
  const page = await context.newPage();
  const scripts: Promise<{ url: string; gz: number }>[] = [];
  page.on("response", (res) => {
    if (new URL(res.url()).pathname.endsWith(".js")) scripts.push(res.body().then((b) => ({ url: new URL(res.url()).pathname, gz: zlib.gzipSync(b).length })));
  });
  const t0 = performance.now();
  await page.goto(`${api}/queue`);
  await page.waitForSelector(`table.queue tbody tr:nth-child(${rows})`, { timeout: 60_000 });
  const ms = performance.now() - t0;
  const js = await Promise.all(scripts);
  await context.close();
  return { ms, js };
}

async function main() {
  if (!fs.existsSync(DIST)) throw new Error(`no built console at ${DIST}: run npm run console:build (npm install does it)`);
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: apt-get install chromium, or set CHROMIUM_PATH`);
  console.log("starting the demo (npm start's seed)…");
  const demo = await startDemo();
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  try {
    const token = demo.tokens.collector!;
    const session = JSON.stringify({ token, address: subjectOf(token), role: "collector" });
    const res = await fetch(`${demo.api}/v1/queue?limit=${QUEUE_ROWS}`, { headers: { authorization: `Bearer ${token}` } });
    const queued = ((await res.json()) as { items: unknown[] }).items.length;
    if (queued === 0) throw new Error("the demo collector's queue is empty");
    const rows = Math.min(QUEUE_ROWS, queued);
    await loadQueue(browser, demo.api, session, rows); // warm-up: the server's caches and Chromium's start
    const runs: number[] = [];
    let js: { url: string; gz: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await loadQueue(browser, demo.api, session, rows);
      runs.push(Math.round(r.ms));
      js = r.js;
      console.log(`run ${i + 1}: ${Math.round(r.ms)} ms`);
    }
    const firstPageJsKbGz = Math.round((js.reduce((s, f) => s + f.gz, 0) / 1000) * 10) / 10;
    const queueRenderMs = median(runs);
    const checks = [
      { check: `first page JavaScript ${firstPageJsKbGz} kB gzip <= ${BUDGET.firstPageJsKbGz} kB`, pass: firstPageJsKbGz <= BUDGET.firstPageJsKbGz },
      { check: `queue of ${rows} loans rendered in ${queueRenderMs} ms (median) <= ${BUDGET.queueRenderMs} ms`, pass: queueRenderMs <= BUDGET.queueRenderMs },
    ];
    const out = {
      firstPageJsKbGz,
      queueRenderMs,
      generatedAt: new Date().toISOString(),
      machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, chromium: browser.version() },
      method: {
        demo: "scripts/start.ts with npm start's default seed, in a process of its own; the demo collector's service token in session storage (as the demo picker leaves it)",
        firstPageJs: "every .js response until the queue rendered, gzipped with zlib's default level (lazy chunks of other views are not loaded)",
        queueRender: `navigation to /queue until row ${rows} is in the page, fresh browser context each run (no HTTP cache), median of ${RUNS} after one warm-up, 1280x800 headless`,
      },
      queueRows: rows,
      runsMs: runs,
      scripts: js,
      budget: BUDGET,
      checks,
      pass: checks.every((c) => c.pass),
    };
    fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
    fs.writeFileSync(path.join(__dirname, "results", "console.json"), `${JSON.stringify(out, null, 2)}\n`);
    for (const c of checks) console.log(`${c.pass ? "PASS" : "FAIL"}  ${c.check}`);
    console.log(`wrote bench/results/console.json`);
    if (!out.pass) process.exitCode = 1;
  } finally {
    await browser.close();
    await demo.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
