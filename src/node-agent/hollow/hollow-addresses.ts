/**
 * Fake, non-overlapping addresses for hollow node `index`: the node's
 * InternalIP in 100.64.0.0/10 (shared address space, never a real peer) and a
 * /24 of pod IPs per node in 10.64.0.0/10, enough for 16,384 nodes.
 */
export const MAX_HOLLOW_NODES = 64 * 256;

function dotted(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_HOLLOW_NODES) {
    throw new Error(`hollow node index ${index} is outside 0…${MAX_HOLLOW_NODES - 1}`);
  }
}

export function hollowNodeIp(index: number): string {
  checkIndex(index);
  return dotted(((100 << 24) | (64 << 16)) + index + 1);
}

/** The node's pod range, e.g. "10.64.3.0/24" for index 3. */
export function hollowPodCidr(index: number): string {
  checkIndex(index);
  return `${dotted(((10 << 24) | (64 << 16)) + index * 256)}/24`;
}

/** Hands out the pod IPs of one node's /24 (.2 to .254) and takes them back. */
export class PodIpAllocator {
  readonly #prefix: string;
  readonly #byPod = new Map<string, string>();
  readonly #free: number[] = [];
  #next = 2;

  constructor(index: number) {
    this.#prefix = hollowPodCidr(index).replace(/\.0\/24$/, ".");
  }

  /** The pod's IP: the one it has, else a free one; throws when the range is used up. */
  allocate(podUid: string): string {
    const known = this.#byPod.get(podUid);
    if (known) return known;
    const host = this.#free.shift() ?? (this.#next <= 254 ? this.#next++ : undefined);
    if (host === undefined) throw new Error(`no pod IP left in ${this.#prefix}0/24`);
    const ip = `${this.#prefix}${host}`;
    this.#byPod.set(podUid, ip);
    return ip;
  }

  /** Records an IP given before (a pod found running after a restart); false if not ours or taken. */
  adopt(podUid: string, ip: string): boolean {
    if (this.#byPod.get(podUid) === ip) return true;
    const host = Number(ip.startsWith(this.#prefix) ? ip.slice(this.#prefix.length) : Number.NaN);
    if (!(host >= 2 && host <= 254) || [...this.#byPod.values()].includes(ip)) return false;
    this.#byPod.set(podUid, ip);
    const free = this.#free.indexOf(host);
    if (free >= 0) this.#free.splice(free, 1);
    // Hosts between the next unused one and this one become free for others.
    while (this.#next <= host) {
      if (this.#next !== host) this.#free.push(this.#next);
      this.#next++;
    }
    return true;
  }

  /** The pods that hold an IP. */
  uids(): string[] {
    return [...this.#byPod.keys()];
  }

  release(podUid: string): void {
    const ip = this.#byPod.get(podUid);
    if (!ip) return;
    this.#byPod.delete(podUid);
    this.#free.push(Number(ip.slice(this.#prefix.length)));
  }

  get size(): number {
    return this.#byPod.size;
  }
}
