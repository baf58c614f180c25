import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * Keeps two kubun processes off one data directory: `kubun.lock` holds the owner's
 * PID. A lock left by a process that no longer exists (kill -9, power loss) is taken
 * over; a live owner is a clear error.
 */
export class DataDirLock {
  private readonly path: string;
  private held = false;

  constructor(dataDir: string) {
    this.path = join(dataDir, "kubun.lock");
  }

  acquire(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, "wx", 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const owner = Number.parseInt(readFileSync(this.path, "utf8"), 10);
      if (Number.isInteger(owner) && isAlive(owner)) {
        throw new Error(
          `data directory is in use by kubun process ${owner} (${this.path}); stop it or choose another --data-dir`,
        );
      }
      rmSync(this.path, { force: true });
    }
    throw new Error(
      `could not take ${this.path}; another kubun is starting on the same --data-dir`,
    );
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    rmSync(this.path, { force: true });
  }
}

/**
 * Whether a process runs. A zombie (exited, not yet reaped: common for orphans in
 * containers whose init does not reap) counts as gone, though kill(pid, 0) succeeds.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name (which may contain spaces).
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc: trust kill(pid, 0)
  }
}
