/**
 * tmpfs for memory-backed volumes (emptyDir medium Memory; secrets and
 * projected volumes, which the kubelet keeps off disk too). Where mounting is
 * not allowed the volumes fall back to plain directories, once reported.
 */
import type { Logger } from "../../log/logger.ts";
import { mountTmpfs, mountType } from "./mounts.ts";

export class MemoryBacking {
  readonly limitations: string[] = [];
  #unavailable = false;

  constructor(private readonly log: Logger) {}

  /** Makes `dir` (existing) a tmpfs; false when it stays a plain directory. */
  async ensure(dir: string, sizeBytes?: bigint): Promise<boolean> {
    if ((await mountType(dir)) === "tmpfs") return true;
    if (this.#unavailable) return false;
    try {
      await mountTmpfs(dir, sizeBytes);
      return true;
    } catch (error) {
      // Not retried: without the right to mount (no CAP_SYS_ADMIN) it never works.
      this.#unavailable = true;
      const message = `tmpfs cannot be mounted (${(error as Error).message}): memory-backed volumes (emptyDir medium Memory, secret, projected) are directories on disk`;
      this.limitations.push(message);
      this.log.warn(message);
      return false;
    }
  }
}
