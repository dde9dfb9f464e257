/**
 * `npm run strategy:book -- --out book.sqlite [--loans 3000] [--months 20] [--seed 16]`: writes a
 * generated indexed book with history (scripts/lib/strategy-book.ts: borrowers with a hidden
 * repayment propensity) to try `strategy train` and `strategy backtest` on without a chain.
 */
import fs from "node:fs";
import { generateBook } from "./lib/strategy-book";

function flag(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

async function main(): Promise<void> {
  const out = flag("out");
  const loans = Number(flag("loans", "3000"));
  const months = Number(flag("months", "20"));
  const seed = Number(flag("seed", "16"));
  if (!Number.isInteger(loans) || loans < 1) throw new Error("--loans must be a positive whole number");
  if (!Number.isInteger(months) || months < 13) throw new Error("--months must be a whole number of at least 13 (loans are registered over the first 12)");
  if (fs.existsSync(out)) throw new Error(`${out} exists: give a new file`);
  const book = await generateBook(out, { loans, months, seed, onProgress: (d, n) => process.stderr.write(`book: ${d}/${n} loans\r`) });
  process.stderr.write("\n");
  console.log(JSON.stringify({ file: out, loans, months, seed, from: new Date(book.start * 1000).toISOString().slice(0, 10), indexedHead: new Date(book.end * 1000).toISOString().slice(0, 10) }));
}

main().catch((err: unknown) => {
  console.error(`error: ${(err as Error).message}`);
  process.exit(2);
});
