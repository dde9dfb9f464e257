/**
 * The content-addressed evidence store: each artifact is one file named by the hex SHA-256 of
 * its bytes under the configured folder. An upload streams into a temporary file while it is
 * hashed (memory stays bounded by the streams' buffers whatever the size or the concurrency); the
 * file is fsynced, renamed into place and the folder fsynced, so an acknowledged upload survives a
 * crash and a reader never sees a partial file (a file under its final name is always complete).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";

const HEX64 = /^[0-9a-f]{64}$/;
const TMP_PREFIX = ".tmp-";
const TRASH_PREFIX = ".trash-";

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

/** Per folder: the fsync running now, and the one queued to start after it. */
const dirSyncs = new Map<string, { running?: Promise<void>; queued?: Promise<void> }>();

/**
 * Fsyncs `dir` after the caller's rename, sharing the fsync with concurrent callers: one started
 * after the call covers it, so many renames at once cost two folder fsyncs, not one each.
 */
function fsyncDirShared(dir: string): Promise<void> {
  let s = dirSyncs.get(dir);
  if (!s) dirSyncs.set(dir, (s = {}));
  const state = s;
  if (state.queued) return state.queued;
  const start = (): Promise<void> => {
    const p: Promise<void> = fsyncDir(dir).finally(() => {
      if (state.running === p) state.running = undefined;
    });
    state.running = p;
    return p;
  };
  if (!state.running) return start();
  // The running fsync may have started before our rename: queue one after it.
  const q = state.running
    .catch(() => undefined)
    .then(() => {
      state.queued = undefined;
      return start();
    });
  state.queued = q;
  return q;
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";

/** An upload received into a temporary file, not yet under its final name. */
export interface ReceivedArtifact {
  /** 0x-prefixed lowercase hex SHA-256. */
  sha256: `0x${string}`;
  hex: string;
  size: number;
  /**
   * Renames the file into place (replacing an identical copy, if any) and fsyncs the folder.
   * Returns false when identical content was already stored.
   */
  place(): Promise<boolean>;
  /** Removes the temporary file (after a refusal). */
  discard(): Promise<void>;
}

export interface ReceiveLimit {
  /** Most bytes accepted. */
  bytes: number;
  /** The error to fail with once more than `bytes` arrived (the rest of the body is not read). */
  error: () => Error;
}

/**
 * Streams `source` into a temporary file in `dir` while hashing and counting it; fails with
 * `limit.error()` as soon as more than `limit.bytes` arrived, and with the stream's error when the
 * client goes away. On any failure the temporary file is removed. `source` is never destroyed
 * here, so the caller can still answer on its connection (and should `resume()` it to discard
 * what remains of the body).
 */
export async function receiveArtifact(dir: string, source: Readable, limit: ReceiveLimit): Promise<ReceivedArtifact> {
  await fs.promises.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `${TMP_PREFIX}${crypto.randomBytes(8).toString("hex")}`);
  const handle = await fs.promises.open(tmp, "wx", 0o640);
  const hash = crypto.createHash("sha256");
  let size = 0;
  try {
    // One chunk at a time: the request stream pauses while its chunk is written (memory stays at its buffer).
    for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit.bytes) throw limit.error();
      hash.update(chunk);
      for (let off = 0; off < chunk.length; ) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
    }
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  const hex = hash.digest("hex");
  const final = artifactPath(dir, hex);
  return {
    sha256: `0x${hex}`,
    hex,
    size,
    async place() {
      const existed = (await artifactSize(dir, hex)) !== undefined;
      try {
        await fs.promises.rename(tmp, final);
      } catch (err) {
        await fs.promises.rm(tmp, { force: true });
        throw err;
      }
      await fsyncDir(dir);
      return !existed;
    },
    discard: () => fs.promises.rm(tmp, { force: true }),
  };
}

/** Creates `file` (it must not exist) for writing; its folder is created only when missing (not a mkdir per store). */
async function openNew(file: string): Promise<fs.promises.FileHandle> {
  try {
    return await fs.promises.open(file, "wx", 0o640);
  } catch (err) {
    if (!isMissing(err)) throw err;
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    return fs.promises.open(file, "wx", 0o640);
  }
}

/**
 * Stores `bytes` (already in memory: a rendered notice) and returns their hex SHA-256. Same
 * discipline as an upload: a temporary file, fsynced, renamed into place, the folder fsynced (one
 * folder fsync shared by the stores that rename meanwhile).
 * Idempotent: when an artifact of that digest is already stored nothing is written (its name is
 * its content's hash, and a file under its final name is always complete).
 */
export async function storeArtifact(dir: string, bytes: Uint8Array): Promise<string> {
  const hex = crypto.createHash("sha256").update(bytes).digest("hex");
  if ((await artifactSize(dir, hex)) === bytes.length) return hex;
  const tmp = path.join(dir, `${TMP_PREFIX}${crypto.randomBytes(8).toString("hex")}`);
  const handle = await openNew(tmp);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    await fs.promises.rename(tmp, artifactPath(dir, hex));
  } catch (err) {
    await handle.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  await fsyncDirShared(dir);
  return hex;
}

/** The artifact's size if stored, undefined otherwise. */
export async function artifactSize(dir: string, hex: string): Promise<number | undefined> {
  try {
    const st = await fs.promises.stat(artifactPath(dir, hex));
    return st.isFile() ? st.size : undefined;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** The stored artifact opened for reading, or undefined if it is not stored. */
export async function openArtifact(dir: string, hex: string): Promise<fs.promises.FileHandle | undefined> {
  try {
    return await fs.promises.open(artifactPath(dir, hex), "r");
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** Bytes free for unprivileged writers on the file system holding `dir` (created if missing). */
export async function freeBytes(dir: string): Promise<number> {
  await fs.promises.mkdir(dir, { recursive: true });
  const st = await fs.promises.statfs(dir);
  return st.bavail * st.bsize;
}

/**
 * Removes the artifact unless `keep()` says otherwise once it is out of sight: the file is first
 * renamed aside, then `keep()` is asked, and the file is put back if it answers true. An upload
 * records its row before it renames its copy into place, so an upload racing this removal either
 * is seen by `keep()` (the file comes back) or places its own copy after the removal. Returns the
 * size removed, or undefined when nothing was removed.
 */
export async function removeArtifactUnless(dir: string, hex: string, keep: () => Promise<boolean>): Promise<number | undefined> {
  const trash = path.join(dir, `${TRASH_PREFIX}${hex}-${crypto.randomBytes(6).toString("hex")}`);
  try {
    await fs.promises.rename(artifactPath(dir, hex), trash);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  return settleTrash(dir, hex, trash, keep);
}

/** Puts a renamed-aside artifact back (keep) or deletes it; returns the size deleted. */
async function settleTrash(dir: string, hex: string, trash: string, keep: () => Promise<boolean>): Promise<number | undefined> {
  if (await keep()) {
    try {
      await fs.promises.link(trash, artifactPath(dir, hex));
    } catch (err) {
      // A concurrent upload placed an identical copy meanwhile: keep that one.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    await fs.promises.rm(trash, { force: true });
    await fsyncDir(dir);
    return undefined;
  }
  const { size } = await fs.promises.stat(trash);
  await fs.promises.rm(trash, { force: true });
  await fsyncDir(dir);
  return size;
}

/** What the folder holds beside complete artifacts, for the retention sweep. */
export interface StoreListing {
  /** Complete artifacts: hex digest and modification time (ms). */
  artifacts: { hex: string; mtimeMs: number }[];
  /** Temporary files of uploads (possibly in flight) with their modification time (ms). */
  temporary: { path: string; mtimeMs: number }[];
  /** Artifacts a removal renamed aside and did not settle (the process stopped meanwhile). */
  trash: { path: string; hex: string }[];
}

/** Lists the store's folder (empty when it does not exist yet). */
export async function listStore(dir: string): Promise<StoreListing> {
  const out: StoreListing = { artifacts: [], temporary: [], trash: [] };
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch (err) {
    if (isMissing(err)) return out;
    throw err;
  }
  for (const name of names) {
    const p = path.join(dir, name);
    if (name.startsWith(TRASH_PREFIX)) {
      const hex = name.slice(TRASH_PREFIX.length, TRASH_PREFIX.length + 64);
      if (HEX64.test(hex)) out.trash.push({ path: p, hex });
      continue;
    }
    if (!HEX64.test(name) && !name.startsWith(TMP_PREFIX)) continue;
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(p);
    } catch (err) {
      if (isMissing(err)) continue;
      throw err;
    }
    if (!st.isFile()) continue;
    if (name.startsWith(TMP_PREFIX)) out.temporary.push({ path: p, mtimeMs: st.mtimeMs });
    else out.artifacts.push({ hex: name, mtimeMs: st.mtimeMs });
  }
  return out;
}

/** Settles a leftover renamed-aside artifact (see {@link removeArtifactUnless}). */
export async function settleLeftoverTrash(dir: string, entry: { path: string; hex: string }, keep: () => Promise<boolean>): Promise<number | undefined> {
  try {
    await fs.promises.stat(entry.path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
  return settleTrash(dir, entry.hex, entry.path, keep);
}
