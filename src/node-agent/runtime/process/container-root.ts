/**
 * The container's filesystem view. The mounts themselves happen in the
 * supervisor, inside the container's private mount namespace (made rprivate by
 * `unshare --propagation private`): an overlay with the host's / as lower
 * layer and per-container upper/work dirs, the host's /proc, /dev and /sys
 * bound in, a private /dev/shm, the runtime's state directory hidden, then the
 * container's mounts (targets created in the overlay, symbolic links resolved
 * inside it; read-only ones remounted read-only), chroot and chdir. Nothing the
 * container writes reaches the host except through its read-write mounts.
 *
 * When overlayfs cannot be mounted, containers run on the host's / in the
 * private namespace: mounts still apply, but writes (and missing mount
 * targets) land on the host.
 */
import { mkdirSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerDir } from "./state.ts";

export const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Null when an overlay can be mounted under stateDir, else why not: mounted
 * once in a throwaway mount namespace that vanishes with the probe.
 */
export function probeOverlay(unshare: string, stateDir: string): string | null {
  // Mount options are comma-separated and overlay's lowerdir colon-separated.
  if (/[,:\\\s]/.test(stateDir))
    return `the state directory ${stateDir} has characters overlayfs options cannot hold`;
  const dir = join(stateDir, "overlay-probe");
  try {
    rmSync(dir, { recursive: true, force: true });
    for (const sub of ["upper", "work", "merged"]) mkdirSync(join(dir, sub), { recursive: true });
    const result = Bun.spawnSync(
      [
        unshare,
        "--mount",
        "--propagation",
        "private",
        "mount",
        "-t",
        "overlay",
        "overlay",
        "-o",
        `lowerdir=/,upperdir=${join(dir, "upper")},workdir=${join(dir, "work")}`,
        join(dir, "merged"),
      ],
      { env: { PATH: defaultPath }, stdout: "ignore", stderr: "pipe" },
    );
    if (result.exitCode === 0) return null;
    return result.stderr.toString().trim() || `mount exited with ${result.exitCode}`;
  } catch (error) {
    return (error as Error).message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Creates the container's directories (the overlay's when it has one). */
export async function prepareContainerDir(dir: ContainerDir, overlay: boolean): Promise<void> {
  await mkdir(dir.dir, { recursive: true, mode: 0o700 });
  if (!overlay) return;
  await Promise.all([mkdir(dir.upper), mkdir(dir.work), mkdir(dir.merged)]);
}

/** The container's working directory: "" means /, and a relative one is taken from /. */
export function workingDirectory(workingDir: string): string {
  return workingDir.startsWith("/") ? workingDir : `/${workingDir}`;
}

/** The environment as given, with the default PATH when it has none. */
export function containerEnv(env: Record<string, string>): Record<string, string> {
  return "PATH" in env ? { ...env } : { ...env, PATH: defaultPath };
}
