/** Pods and pod templates (core/v1). */
import type { KubeObject } from "../kind.ts";
import { type ContainerLike, containerCells } from "./container-cells.ts";
import { formatLabels } from "./label-cells.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import { type PodJson, podStatusCells } from "./pod-status.ts";
import type { PrinterSet, TableRowCondition } from "./resource-printer.ts";
import { ageColumn, column, containersColumn, imagesColumn, nameColumn } from "./table-column.ts";

interface Pod extends PodJson {
  spec?: PodJson["spec"] & {
    nodeName?: string;
    readinessGates?: { conditionType?: string }[] | null;
  };
  status?: PodJson["status"] & {
    podIP?: string;
    podIPs?: { ip?: string }[] | null;
    nominatedNodeName?: string;
  };
}

interface PodTemplate {
  template?: {
    metadata?: { labels?: Record<string, string> | null } | null;
    spec?: { containers?: ContainerLike[] | null } | null;
  } | null;
}

const podColumns = [
  nameColumn,
  column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
  column("Status", "The aggregate status of the containers in this pod."),
  column(
    "Restarts",
    "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
  ),
  ageColumn,
  column(
    "IP",
    "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
    { priority: 1 },
  ),
  column(
    "Node",
    "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename",
    { priority: 1 },
  ),
  column(
    "Nominated Node",
    "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.",
    { priority: 1 },
  ),
  column(
    "Readiness Gates",
    'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
    { priority: 1 },
  ),
];

const podTemplateColumns = [
  nameColumn,
  containersColumn(0),
  imagesColumn(0),
  column("Pod Labels", "The labels for the pod template."),
];

/** Finished pods carry a row condition so clients can tell them apart without the object. */
const succeeded: TableRowCondition[] = [
  {
    type: "Completed",
    status: "True",
    reason: "Succeeded",
    message: "The pod has completed successfully.",
  },
];
const failed: TableRowCondition[] = [
  { type: "Completed", status: "True", reason: "Failed", message: "The pod failed." },
];

/** READINESS GATES: how many of the gates' conditions are True, "<none>" without gates. */
function readinessGates(pod: Pod): string {
  const gates = pod.spec?.readinessGates ?? [];
  if (gates.length === 0) return "<none>";
  const conditions = pod.status?.conditions ?? [];
  const met = gates.filter(
    (gate) => conditions.find((c) => c.type === gate.conditionType)?.status === "True",
  ).length;
  return `${met}/${gates.length}`;
}

/**
 * The pod's IP. v1 has both podIP and podIPs; upstream's conversion treats podIP as
 * authoritative when they disagree, so it is read first.
 */
function podIP(pod: Pod): string {
  return pod.status?.podIP || pod.status?.podIPs?.[0]?.ip || "<none>";
}

export const podPrinters: PrinterSet = {
  pods: {
    columns: podColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const pod = object as Pod;
      const { ready, status, restarts } = podStatusCells(pod, now);
      return [
        nameOf(object),
        ready,
        status,
        restarts,
        ageOf(object, now),
        podIP(pod),
        pod.spec?.nodeName || "<none>",
        pod.status?.nominatedNodeName || "<none>",
        readinessGates(pod),
      ];
    },
    conditions(object: KubeObject): TableRowCondition[] | undefined {
      const phase = (object as Pod).status?.phase;
      if (phase === "Succeeded") return succeeded;
      if (phase === "Failed") return failed;
      return undefined;
    },
  },
  podtemplates: {
    columns: podTemplateColumns,
    cells(object: KubeObject): unknown[] {
      const template = (object as PodTemplate).template;
      const [names, images] = containerCells(template?.spec?.containers);
      return [nameOf(object), names, images, formatLabels(template?.metadata?.labels)];
    },
  },
};
