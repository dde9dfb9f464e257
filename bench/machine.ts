/**
 * The machine a benchmark ran on, with a speed probe so that results from different hosts can be
 * told apart.
 *
 * Hosts of the same kind (2 cores, 24 GB) have differed several times over in how fast they
 * allocate memory: the same 2,000,000 small objects took about 250 ms on one and 700 to 1,200 ms
 * on another. The API and indexer benchmarks move with it (each request builds thousands of small
 * objects), so a results file carries the probe of the host that wrote it:
 *
 * - allocMs: allocating 2,000,000 small objects into an array (median of 3);
 * - sha256Ms: SHA-256 over 64 MiB in 1 MiB pieces (median of 3), the processor alone.
 *
 * Run it before the benchmark starts anything, with the machine otherwise idle.
 */
import crypto from "node:crypto";
import os from "node:os";

export interface SpeedProbe {
  allocMs: number;
  sha256Ms: number;
}

export interface Machine {
  node: string;
  cpus: number;
  cpu: string | undefined;
  speedProbe: SpeedProbe;
}

const median3 = (run: () => void): number => {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return Math.round(times.sort((a, b) => a - b)[1]!);
};

export function speedProbe(): SpeedProbe {
  const allocMs = median3(() => {
    const objects: { i: number; s: string }[] = [];
    for (let i = 0; i < 2_000_000; i++) objects.push({ i, s: `x${i}` });
    if (objects.length !== 2_000_000) throw new Error("speed probe: allocation went wrong");
  });
  const piece = crypto.randomBytes(1 << 20);
  const sha256Ms = median3(() => {
    const hash = crypto.createHash("sha256");
    for (let i = 0; i < 64; i++) hash.update(piece);
    hash.digest();
  });
  return { allocMs, sha256Ms };
}

/** This machine, with its speed probe (about 2 s). */
export function machine(): Machine {
  return { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, speedProbe: speedProbe() };
}
