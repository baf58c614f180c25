/**
 * The kubelet's crash-loop back-off for one container: the first restart is
 * immediate, the next waits 10 s, doubling up to 5 minutes; a container that
 * ran 10 minutes without exiting starts over.
 */
export class RestartBackoff {
  static readonly initialMs = 10_000;
  static readonly maxMs = 300_000;
  static readonly resetAfterMs = 600_000;
  private nextDelayMs = 0;
  private lastDelayMs = 0;

  /** Records an exit after `ranMs` of running; returns when the next start may happen. */
  exited(ranMs: number, now = Date.now()): number {
    if (ranMs >= RestartBackoff.resetAfterMs) this.nextDelayMs = 0;
    this.lastDelayMs = this.nextDelayMs;
    this.nextDelayMs =
      this.nextDelayMs === 0
        ? RestartBackoff.initialMs
        : Math.min(this.nextDelayMs * 2, RestartBackoff.maxMs);
    return now + this.lastDelayMs;
  }

  /** The delay now being waited, for the CrashLoopBackOff message ("back-off 20s …"). */
  get seconds(): number {
    return Math.round(this.lastDelayMs / 1000);
  }
}
