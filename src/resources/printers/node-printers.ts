/**
 * What runs workloads and the control plane: Nodes and ComponentStatuses (core/v1),
 * RuntimeClasses (node.k8s.io/v1).
 */
import type { KubeObject } from "../kind.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

interface Node {
  metadata?: { labels?: Record<string, string> | null } | null;
  spec?: { unschedulable?: boolean } | null;
  status?: {
    conditions?: { type?: string; status?: string }[] | null;
    addresses?: { type?: string; address?: string }[] | null;
    nodeInfo?: {
      kubeletVersion?: string;
      osImage?: string;
      kernelVersion?: string;
      containerRuntimeVersion?: string;
    } | null;
  } | null;
}

interface ComponentStatus {
  conditions?: { type?: string; status?: string; message?: string; error?: string }[] | null;
}

const nodeColumns = [
  nameColumn,
  column("Status", "The status of the node"),
  column("Roles", "The roles of the node"),
  ageColumn,
  column("Version", "Kubelet Version reported by the node."),
  column(
    "Internal-IP",
    "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).",
    { priority: 1 },
  ),
  column(
    "External-IP",
    "List of addresses reachable to the node. Queried from cloud provider, if available. More info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field is declared as mergeable, but the merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API (status.hostIP).",
    { priority: 1 },
  ),
  column(
    "OS-Image",
    "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
    { priority: 1 },
  ),
  column(
    "Kernel-Version",
    "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
    { priority: 1 },
  ),
  column(
    "Container-Runtime",
    "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).",
    { priority: 1 },
  ),
];

const componentStatusColumns = [
  nameColumn,
  column("Status", "Status of the component conditions"),
  column("Message", "Message of the component conditions"),
  column("Error", "Error of the component conditions"),
];

const runtimeClassColumns = [
  nameColumn,
  // Upstream documents this column with a key ObjectMeta does not have, so it is empty.
  column("Handler", ""),
  ageColumn,
];

/** Role labels: `node-role.kubernetes.io/<role>` (any value) and `kubernetes.io/role=<role>`. */
const roleLabelPrefix = "node-role.kubernetes.io/";
const roleLabel = "kubernetes.io/role";

/** STATUS: Ready, NotReady or Unknown (no Ready condition), then SchedulingDisabled if cordoned. */
function nodeStatus(node: Node): string {
  const conditions = node.status?.conditions ?? [];
  // The last condition of a type wins, as in upstream's map of conditions.
  const ready = conditions.findLast((c) => c.type === "Ready");
  const status = [ready === undefined ? "Unknown" : ready.status === "True" ? "Ready" : "NotReady"];
  if (node.spec?.unschedulable) status.push("SchedulingDisabled");
  return status.join(",");
}

function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata?.labels ?? {})) {
    if (key.startsWith(roleLabelPrefix)) {
      const role = key.slice(roleLabelPrefix.length);
      if (role) roles.add(role);
    } else if (key === roleLabel && value) {
      roles.add(value);
    }
  }
  const sorted = [...roles].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.length > 0 ? sorted.join(",") : "<none>";
}

/** The first address of a type, "<none>" without one. */
function address(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? "<none>";
}

function componentCells(status: ComponentStatus): [string, string, string] {
  const healthy = (status.conditions ?? []).find((c) => c.type === "Healthy");
  if (healthy === undefined) return ["Unknown", "", ""];
  return [
    healthy.status === "True" ? "Healthy" : "Unhealthy",
    healthy.message ?? "",
    healthy.error ?? "",
  ];
}

export const nodePrinters: PrinterSet = {
  nodes: {
    columns: nodeColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const node = object as Node;
      const info = node.status?.nodeInfo;
      return [
        nameOf(object),
        nodeStatus(node),
        nodeRoles(node),
        ageOf(object, now),
        info?.kubeletVersion ?? "",
        address(node, "InternalIP"),
        address(node, "ExternalIP"),
        info?.osImage || "<unknown>",
        info?.kernelVersion || "<unknown>",
        info?.containerRuntimeVersion || "<unknown>",
      ];
    },
  },
  componentstatuses: {
    columns: componentStatusColumns,
    cells(object: KubeObject): unknown[] {
      return [nameOf(object), ...componentCells(object as ComponentStatus)];
    },
  },
  "runtimeclasses.node.k8s.io": {
    columns: runtimeClassColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      return [nameOf(object), (object as { handler?: string }).handler ?? "", ageOf(object, now)];
    },
  },
};
