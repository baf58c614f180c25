import { ApiError, isNotFound } from "../../client/api-error.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { NodeClient } from "./node-client.ts";
import {
  type ConditionState,
  conditionStates,
  type NodeCondition,
  pressureOf,
  type Readiness,
  stampConditions,
} from "./node-conditions.ts";
import type { NodeFacts, NodeFactsSource } from "./node-facts.ts";
import {
  buildNode,
  buildNodeStatus,
  type NodeDescription,
  type NodeStatus,
  nodeLabels,
  statusFingerprint,
} from "./node-object.ts";
import { PeriodicTask } from "./periodic-task.ts";

const NODES = resourcePath({ version: "v1", resource: "nodes" });

export interface NodeStatusReporterOptions {
  client: NodeClient;
  description: NodeDescription;
  facts: NodeFactsSource;
  /** More conditions after Ready (e.g. the runtime's limitations), asked at every check. */
  extraConditions?: () => readonly ConditionState[];
  readiness?: () => Readiness;
  /** How often the status is recomputed (the kubelet's nodeStatusUpdateFrequency, 10 s). */
  checkIntervalMs?: number;
  /** Unchanged status is still written this often (nodeStatusReportFrequency, 5 min). */
  reportIntervalMs?: number;
  /** Delay of the first check after start, to spread many nodes. */
  firstDelayMs?: number;
  now?: () => Date;
  log?: Logger;
}

/**
 * Registers the Node and keeps its status current, as the kubelet does:
 * create with labels, taints and status; when it exists already, patch only
 * the labels it owns (taints stay the administrator's, as NodeRestriction
 * demands) and the status. Then PATCH nodes/<name>/status whenever the status
 * changes (heartbeat times aside) and at least every report interval; a Node
 * deleted meanwhile is registered again.
 */
export class NodeStatusReporter {
  readonly #options: NodeStatusReporterOptions;
  readonly #path: string;
  readonly #task: PeriodicTask;
  #node: KubeObject | undefined;
  #reported: NodeStatus | undefined;
  #reportedAt = 0;

  constructor(options: NodeStatusReporterOptions) {
    this.#options = options;
    this.#path = resourcePath({
      version: "v1",
      resource: "nodes",
      name: options.description.nodeName,
    });
    this.#task = new PeriodicTask({
      intervalMs: options.checkIntervalMs ?? 10_000,
      firstDelayMs: options.firstDelayMs ?? options.checkIntervalMs ?? 10_000,
      run: async () => {
        await this.sync();
      },
      onError: (error) => options.log?.warn("updating the node status failed", { error }),
    });
  }

  /** The Node as last written. */
  get node(): KubeObject | undefined {
    return this.#node;
  }

  /** The status as last written. */
  get status(): NodeStatus | undefined {
    return this.#reported;
  }

  /** Creates the Node, or takes over an existing one of that name. */
  async register(): Promise<KubeObject> {
    const facts = await this.#options.facts.read();
    const status = this.#statusFor(facts, []);
    const { description, client } = this.#options;
    let node: KubeObject;
    try {
      node = await client.create(NODES, buildNode(description, facts.systemInfo, status));
      this.#options.log?.debug("registered the node", { node: description.nodeName });
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === "AlreadyExists")) throw error;
      node = await this.#adopt(facts);
      this.#options.log?.debug("the node was registered before; updated it", {
        node: description.nodeName,
      });
      return node;
    }
    this.#remember(node, status);
    return node;
  }

  start(): void {
    this.#task.start();
  }

  async stop(): Promise<void> {
    await this.#task.stop();
  }

  /** Recomputes the status and writes it if it changed or is due; true when written. */
  async sync(): Promise<boolean> {
    const facts = await this.#options.facts.read();
    const status = this.#statusFor(facts, this.#reported?.conditions ?? []);
    const now = this.#now().getTime();
    const due = now - this.#reportedAt >= (this.#options.reportIntervalMs ?? 300_000);
    const changed =
      !this.#reported ||
      statusFingerprint(status) !== statusFingerprint(this.#reported) ||
      (await this.#serverDiffers(status));
    if (!changed && !due) return false;
    try {
      await this.#writeStatus(status);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.#options.log?.warn("the node was deleted; registering it again");
      await this.register();
    }
    return true;
  }

  /**
   * Whether the Node's conditions on the server differ from ours: someone else (the
   * node lifecycle controller, after missed heartbeats) may have set them to Unknown,
   * and only a write from us puts them right. The kubelet reads its Node every sync too.
   */
  async #serverDiffers(status: NodeStatus): Promise<boolean> {
    let node: KubeObject;
    try {
      node = await this.#options.client.get(this.#path);
    } catch (error) {
      if (isNotFound(error)) return true;
      throw error;
    }
    const server = (node.status as { conditions?: NodeCondition[] } | undefined)?.conditions ?? [];
    return status.conditions.some((ours) => {
      const theirs = server.find((c) => c.type === ours.type);
      return theirs?.status !== ours.status || theirs?.reason !== ours.reason;
    });
  }

  /** The existing Node gets our labels (only when they differ) and our status. */
  async #adopt(facts: NodeFacts): Promise<KubeObject> {
    const { client, description } = this.#options;
    const existing = await client.get(this.#path);
    const owned = nodeLabels(description, facts.systemInfo);
    const current = existing.metadata?.labels ?? {};
    if (Object.entries(owned).some(([key, value]) => current[key] !== value)) {
      await client.patch(this.#path, { metadata: { labels: owned } }, "merge");
    }
    const previous = (existing.status as { conditions?: NodeCondition[] } | undefined)?.conditions;
    return this.#writeStatus(this.#statusFor(facts, previous ?? []));
  }

  async #writeStatus(status: NodeStatus): Promise<KubeObject> {
    const node = await this.#options.client.patch(`${this.#path}/status`, { status }, "strategic");
    this.#logTransitions(status);
    this.#remember(node, status);
    return node;
  }

  #statusFor(facts: NodeFacts, previous: readonly NodeCondition[]): NodeStatus {
    const { description, readiness, extraConditions } = this.#options;
    const states = conditionStates(
      pressureOf(facts.observed),
      readiness?.() ?? { ready: true },
      extraConditions?.() ?? [],
    );
    return buildNodeStatus(description, facts, stampConditions(states, previous, this.#now()));
  }

  #remember(node: KubeObject, status: NodeStatus): void {
    this.#node = node;
    this.#reported = status;
    this.#reportedAt = this.#now().getTime();
  }

  #logTransitions(status: NodeStatus): void {
    const log = this.#options.log;
    if (!log || !this.#reported) return;
    for (const condition of status.conditions) {
      const before = this.#reported.conditions.find((c) => c.type === condition.type);
      if (before?.status === condition.status) continue;
      log.info("node condition changed", {
        type: condition.type,
        status: condition.status,
        reason: condition.reason,
      });
    }
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}
