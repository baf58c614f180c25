/**
 * Exits of adopted containers (whose supervisor another agent process
 * started, so this one cannot wait for it): a shared timer looks for the exit
 * file each supervisor writes, and notices a supervisor that died without
 * writing one.
 */
import type { ContainerDir, RawExit, SupervisorPids } from "./state.ts";
import { processAlive } from "./state.ts";

interface Watched {
  dir: ContainerDir;
  pids: SupervisorPids;
  /** Resolves with the recorded exit, or null when the supervisor vanished without one. */
  resolve: (exit: RawExit | null) => void;
}

export class ExitWatcher {
  private readonly watched = new Set<Watched>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly intervalMs = 200) {}

  watch(dir: ContainerDir, pids: SupervisorPids): Promise<RawExit | null> {
    return new Promise((resolve) => {
      this.watched.add({ dir, pids, resolve });
      this.timer ??= setInterval(() => this.poll(), this.intervalMs);
    });
  }

  private poll(): void {
    for (const entry of this.watched) {
      let exit = entry.dir.readExit();
      if (!exit && !processAlive(entry.pids.supervisor, entry.pids.supervisorStart)) {
        // It may have written the file just before exiting.
        exit = entry.dir.readExit();
        if (!exit) {
          this.finish(entry, null);
          continue;
        }
      }
      if (exit) this.finish(entry, exit);
    }
  }

  private finish(entry: Watched, exit: RawExit | null): void {
    this.watched.delete(entry);
    entry.resolve(exit);
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
