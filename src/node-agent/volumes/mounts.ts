/**
 * tmpfs mounts for memory-backed volumes, and finding and undoing the mounts
 * under a pod's directory (from /proc/self/mountinfo, so that an agent that
 * restarted still cleans up what an earlier run mounted).
 */

const MOUNTINFO = "/proc/self/mountinfo";

/** Mounts a tmpfs on `dir` (which must exist), limited to `sizeBytes` when given. */
export async function mountTmpfs(dir: string, sizeBytes?: bigint): Promise<void> {
  const options = sizeBytes !== undefined && sizeBytes > 0n ? `size=${sizeBytes}` : "";
  await run(["mount", "-t", "tmpfs", ...(options ? ["-o", options] : []), "tmpfs", dir]);
}

export async function unmount(dir: string): Promise<void> {
  await run(["umount", dir]);
}

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export async function mountPointsUnder(dir: string): Promise<string[]> {
  const root = dir.replace(/\/+$/, "");
  const points = (await mountPoints()).filter(
    (point) => point === root || point.startsWith(`${root}/`),
  );
  // A path mounted over twice appears twice: each umount removes one layer.
  return points.sort((a, b) => b.length - a.length);
}

export async function isMountPoint(dir: string): Promise<boolean> {
  const root = dir.replace(/\/+$/, "");
  return (await mountPoints()).includes(root);
}

/** The filesystem type mounted at `dir` (the last mount wins), or undefined. */
export async function mountType(dir: string): Promise<string | undefined> {
  const root = dir.replace(/\/+$/, "");
  let type: string | undefined;
  for (const entry of await mountEntries()) if (entry.point === root) type = entry.type;
  return type;
}

async function mountPoints(): Promise<string[]> {
  return (await mountEntries()).map((entry) => entry.point);
}

async function mountEntries(): Promise<{ point: string; type: string }[]> {
  const text = await Bun.file(MOUNTINFO).text();
  const entries: { point: string; type: string }[] = [];
  for (const line of text.split("\n")) {
    // id parent major:minor root mount-point options [optional…] - type source super-options
    const fields = line.split(" ");
    const point = fields[4];
    const separator = fields.indexOf("-");
    if (point === undefined || separator < 0) continue;
    entries.push({ point: unescapeOctal(point), type: fields[separator + 1] ?? "" });
  }
  return entries;
}

/** mountinfo writes space, tab, newline and backslash as `\040`-style octal escapes. */
function unescapeOctal(value: string): string {
  return value.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

async function run(argv: string[]): Promise<void> {
  const child = Bun.spawn(argv, { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited]);
  if (code !== 0) {
    // mount(8) appends a hint about dmesg on a second line; the first says it all.
    const reason = stderr.trim().split("\n")[0] ?? "";
    throw new Error(`${argv.join(" ")} failed (exit ${code}): ${reason}`);
  }
}
