import type { Logger } from "../../log/logger.ts";
import { memoryCredentialStore } from "../node/credential-store.ts";
import { NodeCredentials } from "../node/credentials.ts";
import { discoverOnFirstReachable, JoinError } from "../node/join-cluster.ts";
import { MAX_HOLLOW_NODES } from "./hollow-addresses.ts";
import { HollowNode } from "./hollow-node.ts";

export interface HollowFleetOptions {
  count: number;
  servers: readonly string[];
  token: string;
  caCertHashes: readonly string[];
  /** Node names are <prefix><index>. */
  namePrefix?: string;
  /** Index of the first node (fleets in several processes use disjoint ranges). */
  firstIndex?: number;
  maxPods?: number;
  labels?: Readonly<Record<string, string>>;
  /** CSRs in flight at once. */
  csrConcurrency?: number;
  /** Lease renewal interval (default 10 s). */
  leaseRenewMs?: number;
  log?: Logger;
  onProgress?: (message: string) => void;
}

const ATTEMPTS = 3;

/**
 * N hollow nodes in this process. The cluster is discovered once; then every
 * node joins through the normal bootstrap CSR flow with its own key and
 * certificate, `csrConcurrency` at a time, and starts as soon as it has its
 * identity. Each node keeps its own connections (the server reads a node's
 * identity from its TLS connection), while the bootstrap requests share one
 * pool; everything else (facts, the one boot ID, code) is shared.
 */
export class HollowFleet {
  readonly nodes: HollowNode[] = [];

  private constructor() {}

  static async start(options: HollowFleetOptions): Promise<HollowFleet> {
    const first = options.firstIndex ?? 0;
    if (!(options.count >= 1) || first + options.count > MAX_HOLLOW_NODES) {
      throw new Error(`--count must be between 1 and ${MAX_HOLLOW_NODES - first}`);
    }
    const report = options.onProgress ?? (() => {});
    const cluster = await discoverOnFirstReachable({
      servers: options.servers,
      token: options.token,
      caCertHashes: options.caCertHashes,
      onProgress: report,
    });
    const fleet = new HollowFleet();
    const concurrency = Math.max(1, options.csrConcurrency ?? 20);
    report(`joining ${options.count} hollow nodes (${concurrency} CSRs at a time)`);
    const progress = new Progress(options.count, report);
    const failures: unknown[] = [];
    let next = 0;
    const worker = async () => {
      while (next < options.count && failures.length === 0) {
        const index = first + next++;
        try {
          fleet.nodes.push(await startNode(index, cluster.caPem, options));
          progress.done();
        } catch (error) {
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, options.count) }, worker));
    if (failures.length > 0) {
      await fleet.stop();
      const error = failures[0];
      throw error instanceof JoinError
        ? error
        : new Error(`a hollow node failed to start: ${(error as Error).message}`);
    }
    return fleet;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
  }
}

/** Join and start one node, retrying what a busy server may refuse for a moment. */
async function startNode(
  index: number,
  caPem: string,
  options: HollowFleetOptions,
): Promise<HollowNode> {
  const nodeName = `${options.namePrefix ?? "hollow-"}${index}`;
  for (let attempt = 1; ; attempt++) {
    try {
      const credentials = await NodeCredentials.start({
        servers: options.servers,
        nodeName,
        token: options.token,
        caCertHashes: options.caCertHashes,
        caPem,
        store: memoryCredentialStore(),
        ...(options.log ? { log: options.log } : {}),
      });
      const node = new HollowNode({
        credentials,
        index,
        maxPods: options.maxPods ?? 110,
        ...(options.labels ? { labels: options.labels } : {}),
        ...(options.leaseRenewMs ? { leaseRenewMs: options.leaseRenewMs } : {}),
        ...(options.log ? { log: options.log } : {}),
      });
      await node.start();
      return node;
    } catch (error) {
      if (error instanceof JoinError || attempt >= ATTEMPTS) throw error;
      options.log?.warn("starting a hollow node failed; retrying", { node: nodeName, error });
      await Bun.sleep(1000 * 2 ** attempt);
    }
  }
}

/** "joined and registered k/N" at every tenth of the way (and the last one). */
class Progress {
  #done = 0;
  #reported = 0;

  constructor(
    private readonly total: number,
    private readonly report: (message: string) => void,
  ) {}

  done(): void {
    this.#done++;
    const step = Math.max(1, Math.ceil(this.total / 10));
    if (this.#done === this.total || this.#done - this.#reported >= step) {
      this.#reported = this.#done;
      this.report(`hollow nodes registered: ${this.#done}/${this.total}`);
    }
  }
}
