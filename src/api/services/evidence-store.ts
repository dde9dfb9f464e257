/**
 * The content-addressed evidence store: each artifact is one file named by the hex SHA-256 of
 * its bytes under the configured folder. A write goes to a temporary file, is fsynced, renamed
 * into place and the folder fsynced, so an acknowledged upload survives a crash and a reader never
 * sees a partial file (a file under its final name is always complete).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface StoredArtifact {
  /** 0x-prefixed lowercase hex SHA-256. */
  sha256: `0x${string}`;
  size: number;
  /** False when identical content was already stored. */
  created: boolean;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Where the artifact with this digest (64 lowercase hex, no 0x) lives. */
export function artifactPath(dir: string, hex: string): string {
  if (!HEX64.test(hex)) throw new RangeError("not a SHA-256 hex digest");
  return path.join(dir, hex);
}

async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.promises.open(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Stores `bytes` durably (see the module comment) and returns its digest. */
export async function storeArtifact(dir: string, bytes: Buffer): Promise<StoredArtifact> {
  const hex = crypto.createHash("sha256").update(bytes).digest("hex");
  const final = artifactPath(dir, hex);
  const sha256 = `0x${hex}` as const;
  await fs.promises.mkdir(dir, { recursive: true });
  try {
    const st = await fs.promises.stat(final);
    if (st.isFile() && st.size === bytes.length) return { sha256, size: bytes.length, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const tmp = path.join(dir, `.tmp-${hex}-${crypto.randomBytes(6).toString("hex")}`);
  const h = await fs.promises.open(tmp, "wx", 0o640);
  try {
    await h.writeFile(bytes);
    await h.sync();
  } catch (err) {
    await h.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await h.close();
  try {
    await fs.promises.rename(tmp, final);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
  return { sha256, size: bytes.length, created: true };
}

/** The artifact's size if stored, undefined otherwise. */
export async function artifactSize(dir: string, hex: string): Promise<number | undefined> {
  try {
    const st = await fs.promises.stat(artifactPath(dir, hex));
    return st.isFile() ? st.size : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
