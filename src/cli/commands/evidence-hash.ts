/**
 * `duetrail evidence-hash <file>`: prints the evidenceHash an action must carry for an artifact
 * (call recording, letter PDF, photo): its SHA-256 as 0x-prefixed hex. The file is streamed, so
 * its size does not matter. A missing or unreadable file prints one line and exits 2.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import type { Hex } from "viem";
import { UsageError } from "../lib/errors";

/** The file cannot be read: `message` is the one line to print (exit 2). */
export class EvidenceFileError extends UsageError {
  override name = "EvidenceFileError";
}

const fileSchema = z.string().min(1, "error: <file> must not be empty");

/**
 * SHA-256 of the file at `path`, streamed.
 * @throws EvidenceFileError naming the file when it is missing, a directory or unreadable.
 */
export async function sha256File(path: string): Promise<Hex> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new EvidenceFileError(`error: cannot read ${path}: ${why}`);
  }
  return `0x${hash.digest("hex")}`;
}

/** Registers `evidence-hash` on the program. */
export function registerEvidenceHashCommand(program: Command): void {
  const cmd = program
    .command("evidence-hash")
    .description("Print the SHA-256 (0x-prefixed hex) of an artifact: the evidenceHash its action must carry")
    .argument("<file>", "the artifact (recording, letter, photo)")
    .showHelpAfterError(false);
  cmd.action(async (file: string) => {
    try {
      const parsed = fileSchema.safeParse(file);
      if (!parsed.success) throw new EvidenceFileError(parsed.error.issues[0].message);
      process.stdout.write(`${await sha256File(parsed.data)}\n`);
    } catch (err) {
      if (err instanceof EvidenceFileError) cmd.error(err.message, { exitCode: 2, code: "duetrail.usage" });
      throw err;
    }
  });
}
