/**
 * bench:strategy's scoring run, in processes of their own: argv = generate|score, model file, loans,
 * folder. `generate` writes a fresh book of that many loans (seed 17) and exits; `score` (a new
 * process, so its memory is the scorer's alone) puts the model and a two-segment strategy in force,
 * scores every open loan in one pass (src/strategy/scorer.ts works 500 loans at a time) and prints
 * one JSON line: loans, scored, seconds, loans per second, RSS before and at peak (sampled every 50 ms).
 */
import fs from "node:fs";
import path from "node:path";
import { openDatabase } from "../../src/db/connect";
import { setStrategy, storeModel } from "../../src/db/strategies";
import { parseModelFile } from "../../src/strategy/model-file";
import { scorePass } from "../../src/strategy/scorer";
import { BOOK_LENDER, generateBook } from "../../scripts/lib/strategy-book";

async function main(): Promise<void> {
  const [mode, modelFile, loansArg, dir] = process.argv.slice(2);
  if ((mode !== "generate" && mode !== "score") || !modelFile || !loansArg || !dir) throw new Error("usage: score-run.ts generate|score <model.json> <loans> <dir>");
  const file = path.join(dir, "score-book.sqlite");
  const loans = Number(loansArg);
  if (mode === "generate") {
    await generateBook(file, { loans, months: 14, seed: 17, onProgress: (d, n) => process.stderr.write(`scoring book: ${d}/${n} loans\r`) });
    process.stderr.write("\n");
    return;
  }
  const model = parseModelFile(fs.readFileSync(modelFile, "utf8"), modelFile);
  const handle = await openDatabase(file);
  try {
    await storeModel(handle.db, model);
    await setStrategy(
      handle.db,
      BOOK_LENDER,
      {
        version: 1,
        model: model.version,
        segments: [
          { name: "delinquent", when: { score: "behavioural" }, treatment: { noticePlan: "default", nextAction: { action: "call", inDays: 0 }, maxContactsPer7Days: 3 } },
          { name: "current", treatment: { noticePlan: "default", nextAction: { action: "none", inDays: 7 }, maxContactsPer7Days: 2 } },
        ],
      },
      "bench",
      0,
    );
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t0 = performance.now();
    const r = await scorePass(handle.db, { limit: loans });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    process.stderr.write(`scored ${r.scored} loans in ${seconds.toFixed(1)} s, peak RSS ${Math.round(peak / 2 ** 20)} MB\n`);
    const mb = (b: number) => Math.round(b / 2 ** 20);
    process.stdout.write(`${JSON.stringify({ loans, scored: r.scored, seconds: Math.round(seconds * 10) / 10, loansPerSec: Math.round(r.scored / seconds), rssBeforeMb: mb(rssBefore), peakRssMb: mb(peak) })}\n`);
  } finally {
    await handle.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
