/**
 * The benchmark's providers in a process of their own (the dispatcher gets its own core): the
 * demo's SMTP and SMS stand-ins on loopback, writing into the folder given as argv[2]. Prints one
 * JSON line (the settings that point the channels at them), then runs until its stdin closes.
 */
import { startDemoStandIns } from "../../src/notify/standins";

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error("usage: providers.ts <dir>");
  const standIns = await startDemoStandIns({ dataDir: dir, smsReceiptSecret: "bench-receipts" });
  process.stdout.write(`${JSON.stringify(standIns.env)}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => void standIns.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
