/**
 * Atomic projection of a set of files into a volume directory, in the
 * kubelet's layout (its AtomicWriter), so that a reader never sees a mix of
 * old and new content:
 *
 *   <dir>/..2024_05_01_10_00_00.ab12cd/   the real files (a fresh dir per update)
 *   <dir>/..data -> ..2024_05_01_10_00_00.ab12cd
 *   <dir>/key    -> ..data/key            one link per top-level name
 *
 * An update writes a new timestamped dir, points `..data_tmp` at it and renames
 * that over `..data` (rename is atomic), adds and prunes the top-level links,
 * then removes the old dir. Names starting with `..` are reserved.
 */

import type { Dirent } from "node:fs";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
  unlink,
  writeFile,
} from "node:fs/promises";
import { join, posix } from "node:path";

export interface FileProjection {
  data: Uint8Array;
  /** Permission bits (e.g. 0o644). */
  mode: number;
}

/** Relative file path → content. */
export type Payload = Map<string, FileProjection>;

const DATA_DIR = "..data";
const NEW_DATA_DIR = "..data_tmp";
const MAX_FILE_NAME = 255;
const MAX_PATH = 4096;

/** Writes `payload` into `targetDir`; returns whether anything changed on disk. */
export async function writeAtomically(targetDir: string, payload: Payload): Promise<boolean> {
  const clean = validatePayload(payload);
  await mkdir(targetDir, { recursive: true });
  const oldTsName = await readlinkOrNull(join(targetDir, DATA_DIR));
  let stale = new Set<string>();
  if (oldTsName !== null) {
    const oldTsDir = join(targetDir, oldTsName);
    stale = await pathsToRemove(clean, oldTsDir);
    if (stale.size === 0 && !(await payloadDiffers(clean, oldTsDir))) {
      await createUserVisibleLinks(targetDir, clean);
      return false;
    }
  }
  const tsDir = await mkdtemp(join(targetDir, timestampPrefix(new Date())));
  const tsName = posix.basename(tsDir);
  try {
    // 0755 regardless of umask, so that non-root containers can walk the tree.
    await chmod(tsDir, 0o755);
    await writePayload(clean, tsDir);
    const newData = join(targetDir, NEW_DATA_DIR);
    await rm(newData, { force: true });
    await symlink(tsName, newData);
    await rename(newData, join(targetDir, DATA_DIR));
  } catch (error) {
    await rm(tsDir, { recursive: true, force: true });
    throw error;
  }
  await createUserVisibleLinks(targetDir, clean);
  for (const path of stale) {
    if (!path.includes("/")) await rm(join(targetDir, path), { force: true });
  }
  await removeOldTimestampDirs(targetDir, tsName);
  return true;
}

function validatePayload(payload: Payload): Payload {
  const clean: Payload = new Map();
  for (const [path, file] of payload) {
    validatePath(path);
    clean.set(posix.normalize(path).replace(/\/+$/, ""), file);
  }
  return clean;
}

function validatePath(path: string): void {
  if (path === "") throw new Error(`invalid path: must not be empty: "${path}"`);
  if (path.startsWith("/")) throw new Error(`invalid path: must be relative path: ${path}`);
  if (path.length > MAX_PATH) {
    throw new Error(`invalid path: must be less than or equal to ${MAX_PATH} characters`);
  }
  const items = path.split("/");
  for (const item of items) {
    if (item === "..") throw new Error(`invalid path: must not contain '..': ${path}`);
    if (item.length > MAX_FILE_NAME) {
      throw new Error(
        `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME} characters`,
      );
    }
  }
  const first = items[0] ?? "";
  if (first.startsWith("..") && first.length > 2) {
    throw new Error(`invalid path: must not start with '..': ${path}`);
  }
}

/** `..2006_01_02_15_04_05.` in UTC, the prefix of each timestamped dir. */
function timestampPrefix(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const date = `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`;
  return `..${date}_${time}.`;
}

async function readlinkOrNull(path: string): Promise<string | null> {
  try {
    return await readlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/** Paths of the current version (files and dirs) that the new payload no longer has. */
async function pathsToRemove(payload: Payload, oldTsDir: string): Promise<Set<string>> {
  const current = await walk(oldTsDir, "");
  const keep = new Set<string>();
  for (const path of payload.keys()) {
    const parts = path.split("/");
    for (let i = 1; i <= parts.length; i++) keep.add(parts.slice(0, i).join("/"));
  }
  return new Set(current.filter((path) => !keep.has(path)));
}

async function walk(dir: string, prefix: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const paths: string[] = [];
  for (const entry of entries) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    paths.push(relative);
    if (entry.isDirectory()) paths.push(...(await walk(join(dir, entry.name), relative)));
  }
  return paths;
}

async function payloadDiffers(payload: Payload, oldTsDir: string): Promise<boolean> {
  for (const [path, file] of payload) {
    const full = join(oldTsDir, path);
    try {
      const stat = await lstat(full);
      if ((stat.mode & 0o7777) !== file.mode) return true;
      if (!Buffer.from(file.data).equals(await readFile(full))) return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
      throw error;
    }
  }
  return false;
}

async function writePayload(payload: Payload, dir: string): Promise<void> {
  for (const [path, file] of payload) {
    const full = join(dir, path);
    await mkdir(posix.dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, file.data, { mode: file.mode });
    // writeFile's mode is subject to the umask; the projection's mode is not.
    await chmod(full, file.mode);
  }
}

async function createUserVisibleLinks(targetDir: string, payload: Payload): Promise<void> {
  const topLevel = new Set([...payload.keys()].map((path) => path.split("/")[0] ?? path));
  for (const name of topLevel) {
    const visible = join(targetDir, name);
    const existing = await lstat(visible).catch(() => null);
    if (existing?.isSymbolicLink()) continue;
    // Something else in the way (not ours: we only ever create links here).
    if (existing) await unlink(visible);
    await symlink(posix.join(DATA_DIR, name), visible);
  }
}

/** Removes the previous version, and any left behind by an interrupted update. */
async function removeOldTimestampDirs(targetDir: string, current: string): Promise<void> {
  for (const entry of await readdir(targetDir)) {
    if (entry === current || !/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./.test(entry)) continue;
    await rm(join(targetDir, entry), { recursive: true, force: true });
  }
}
