/**
 * Size-based rotation of container logs, as the kubelet's containerLogMaxSize
 * and containerLogMaxFiles: a log over the limit is renamed to
 * `<path>.<timestamp>` and a new empty file takes its place (the runtime's
 * writer follows the path to it); only the newest rotated files are kept.
 */
import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface LogRotationLimits {
  /** Rotate once a log is larger (default 10 MiB). */
  maxBytes: number;
  /** Files kept per log, the live one included (default 5). */
  maxFiles: number;
}

export const defaultLogRotation: LogRotationLimits = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

/** Rotates `path` if it is over the limit; returns whether it did. */
export async function rotateLog(
  path: string,
  limits: LogRotationLimits = defaultLogRotation,
  now: Date = new Date(),
): Promise<boolean> {
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  if (size <= limits.maxBytes) return false;
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "");
  let target = `${path}.${stamp}`;
  for (let n = 1; await exists(target); n++) target = `${path}.${stamp}-${n}`;
  await rename(path, target);
  // The new file exists at once: readers and the writer find it without a gap.
  await (await open(path, "a", 0o640)).close();
  await pruneRotated(path, limits.maxFiles - 1);
  return true;
}

async function pruneRotated(path: string, keep: number): Promise<void> {
  const prefix = `${basename(path)}.`;
  const rotated = (await readdir(dirname(path))).filter((name) => name.startsWith(prefix)).sort();
  for (const name of rotated.slice(0, Math.max(0, rotated.length - keep))) {
    await rm(join(dirname(path), name), { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
