/**
 * Books written for a benchmark reach the disk before it measures anything.
 *
 * A synthesized book is written with `synchronous = OFF` and then copied, so the 1M-loan book and
 * its copy (3.9 GB each) were left as dirty pages for the kernel to write back at its own pace,
 * during the first rounds. One full bench:api run had a 100k round at 55 req/s (p99 7 s, 26
 * timeouts) while the host showed I/O stalls (/proc/pressure/io "full" 12% over a minute); the same
 * server's later rounds ran 1,697-2,795 req/s. Whether the write-back caused it is not proven (the
 * disk wrote 1.3 GB/s when tested after), but writing the books out first takes it out of the
 * rounds whatever the disk's speed.
 */
import fs from "node:fs";

/** Writes `files`' data to the disk (fsync each, the ones that exist); returns the milliseconds it took. */
export function flushToDisk(files: readonly string[]): number {
  const t0 = performance.now();
  for (const file of files) {
    let fd: number;
    try {
      fd = fs.openSync(file, "r+");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw err;
    }
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  return performance.now() - t0;
}

/** The SQLite database `file` and its -wal and -shm files. */
export const sqliteFiles = (file: string): string[] => [file, `${file}-wal`, `${file}-shm`];
