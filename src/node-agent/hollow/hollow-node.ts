import type { Logger } from "../../log/logger.ts";
import { kubunVersion } from "../../version.ts";
import type { NodeCredentials } from "../node/credentials.ts";
import { NODE_LEASE_RENEW_MS, NodeLease } from "../node/lease.ts";
import { nodeAddresses } from "../node/node-address.ts";
import { runtimeLimitationsCondition } from "../node/node-conditions.ts";
import { fixedFacts } from "../node/node-facts.ts";
import { NodeStatusReporter } from "../node/node-status.ts";
import { hollowNodeIp, PodIpAllocator } from "./hollow-addresses.ts";
import { defaultHollowCapacity, hollowFacts } from "./hollow-facts.ts";
import { HollowPods } from "./hollow-pods.ts";

/** Marks hollow Nodes, so they can be selected (and cleaned up) together. */
export const HOLLOW_LABEL = "kubun.io/hollow";

export interface HollowNodeOptions {
  credentials: NodeCredentials;
  /** Position in the fleet: decides the fake addresses. */
  index: number;
  maxPods: number;
  labels?: Readonly<Record<string, string>>;
  /** The port the Node advertises (nothing listens on it). */
  port?: number;
  leaseRenewMs?: number;
  /** How often the (unchanging) status is written. */
  statusReportMs?: number;
  log?: Logger;
}

/**
 * One simulated node: its own identity, a Node whose status never changes
 * (written at start, then every report interval), a Lease renewed every 10 s,
 * and pods that "run" at once. First heartbeats are spread at random over
 * their interval so a fleet started together does not beat in step.
 */
export class HollowNode {
  readonly nodeName: string;
  readonly status: NodeStatusReporter;
  readonly lease: NodeLease;
  readonly pods: HollowPods;
  readonly #credentials: NodeCredentials;

  constructor(options: HollowNodeOptions) {
    const { credentials, log } = options;
    const client = credentials.client;
    this.nodeName = credentials.nodeName;
    this.#credentials = credentials;
    const hostIP = hollowNodeIp(options.index);
    const reportMs = options.statusReportMs ?? 300_000;
    const renewMs = options.leaseRenewMs ?? NODE_LEASE_RENEW_MS;
    this.status = new NodeStatusReporter({
      client,
      description: {
        nodeName: this.nodeName,
        hostname: this.nodeName,
        addresses: nodeAddresses(hostIP, this.nodeName),
        labels: { [HOLLOW_LABEL]: "true", ...options.labels },
        taints: [],
        port: options.port ?? 10250,
        maxPods: options.maxPods,
        runtime: { name: "hollow", version: kubunVersion },
      },
      facts: fixedFacts(hollowFacts(defaultHollowCapacity)),
      extraConditions: () => [runtimeLimitationsCondition([])],
      // Nothing changes on a hollow node: checking is reporting.
      checkIntervalMs: reportMs,
      reportIntervalMs: reportMs,
      firstDelayMs: Math.random() * reportMs,
      ...(log ? { log } : {}),
    });
    this.lease = new NodeLease({
      client,
      nodeName: this.nodeName,
      nodeUid: () => this.status.node?.metadata?.uid,
      renewIntervalMs: renewMs,
      firstDelayMs: Math.random() * renewMs,
      ...(log ? { log } : {}),
    });
    this.pods = new HollowPods({
      client,
      nodeName: this.nodeName,
      hostIP,
      ips: new PodIpAllocator(options.index),
      ...(log ? { log } : {}),
    });
  }

  /** Registers the Node, writes the Lease, then runs until stopped. */
  async start(): Promise<void> {
    await this.status.register();
    await this.lease.renew();
    this.lease.start();
    this.status.start();
    this.pods.start();
    this.#credentials.startRotation();
  }

  async stop(): Promise<void> {
    await Promise.all([
      this.pods.stop(),
      this.lease.stop(),
      this.status.stop(),
      this.#credentials.stop(),
    ]);
  }
}
