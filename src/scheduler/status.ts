/**
 * Plugin results (upstream fwk.Status). A filter's rejection is Unschedulable when
 * evicting pods could help (preemption looks at those nodes) and
 * UnschedulableAndUnresolvable when nothing on the node could.
 */
export const Code = {
  Success: 0,
  Error: 1,
  Unschedulable: 2,
  UnschedulableAndUnresolvable: 3,
  Wait: 4,
  Skip: 5,
  Pending: 6,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

export class Status {
  constructor(
    readonly code: Code,
    readonly reasons: readonly string[],
    /** The plugin that returned it (set by the framework). */
    public plugin = "",
  ) {}

  static unschedulable(...reasons: string[]): Status {
    return new Status(Code.Unschedulable, reasons);
  }

  static unresolvable(...reasons: string[]): Status {
    return new Status(Code.UnschedulableAndUnresolvable, reasons);
  }

  static error(message: string): Status {
    return new Status(Code.Error, [message]);
  }

  static readonly skip = new Status(Code.Skip, []);

  get isRejected(): boolean {
    return (
      this.code === Code.Unschedulable ||
      this.code === Code.UnschedulableAndUnresolvable ||
      this.code === Code.Pending
    );
  }

  get isSkip(): boolean {
    return this.code === Code.Skip;
  }

  message(): string {
    return this.reasons.join(", ");
  }

  withPlugin(plugin: string): Status {
    return this.plugin === plugin ? this : new Status(this.code, this.reasons, plugin);
  }
}

/** Per node, why the pod does not fit; nodes not listed share `absent`. */
export class NodeToStatus {
  readonly byNode = new Map<string, Status>();
  absent: Status = Status.unresolvable();

  set(node: string, status: Status): void {
    this.byNode.set(node, status);
  }

  get(node: string): Status {
    return this.byNode.get(node) ?? this.absent;
  }
}

/** What the scheduling cycle learned about why a pod fits nowhere. */
export interface Diagnosis {
  nodeToStatus: NodeToStatus;
  unschedulablePlugins: Set<string>;
  preFilterMsg?: string;
  postFilterMsg?: string;
}

/** Upstream ErrNoNodesAvailable. */
export const NO_NODES_AVAILABLE = "no nodes available to schedule pods";

/**
 * Upstream FitError.Error(): `0/N nodes are available: <preFilter msg>. <reason
 * histogram, sorted as strings>. <postFilter msg>`.
 */
export function fitErrorMessage(numAllNodes: number, diagnosis: Diagnosis): string {
  let message = `0/${numAllNodes} nodes are available:`;
  if (diagnosis.preFilterMsg) {
    message += ` ${diagnosis.preFilterMsg}.`;
  } else {
    const counts = new Map<string, number>();
    for (const status of diagnosis.nodeToStatus.byNode.values()) {
      for (const reason of status.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
    const absent = numAllNodes - diagnosis.nodeToStatus.byNode.size;
    if (absent > 0) {
      for (const reason of diagnosis.nodeToStatus.absent.reasons) {
        counts.set(reason, (counts.get(reason) ?? 0) + absent);
      }
    }
    // Go's sort.Strings: byte order, so "10 …" sorts before "2 …" as upstream's does.
    const parts = [...counts].map(([reason, count]) => `${count} ${reason}`).sort(compareBytes);
    if (parts.length > 0) message += ` ${parts.join(", ")}.`;
  }
  if (diagnosis.postFilterMsg) message += ` ${diagnosis.postFilterMsg}`;
  return message;
}

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
