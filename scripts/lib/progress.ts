/** A one-line progress bar on stderr: `seeding [########------------]  40% month 2: collection calls`. */
export function progressBar(title: string, width = 24) {
  const tty = process.stderr.isTTY;
  return (done: number, total: number, label: string) => {
    const frac = Math.min(1, done / total);
    const filled = Math.round(frac * width);
    const line = `${title} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.round(frac * 100)).padStart(3)}% ${label}`;
    if (tty) process.stderr.write(`\r${line.padEnd(100)}`);
    else process.stderr.write(`${line}\n`);
  };
}
