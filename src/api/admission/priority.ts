/**
 * Priority admission (upstream plugin/pkg/admission/priority): a new pod's priority is
 * computed from its PriorityClass (or the cluster's default class), never taken from the
 * client; and only one PriorityClass may be the global default.
 */
import type { ObjectReader, ResourceRef } from "../../auth/types.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { ensureRecord, recordOf, stringOf } from "../../resources/kinds/core/json-value.ts";
import { systemPriorityClasses } from "../../resources/kinds/scheduling/priority-class.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";
import { denyRequest, isMainResource, PODS } from "./admission-support.ts";

const PRIORITY_CLASSES: ResourceRef = { group: "scheduling.k8s.io", resource: "priorityclasses" };
const DEFAULT_PREEMPTION_POLICY = "PreemptLowerPriority";
/** A pod's priority when it names no class and no class is the global default. */
const DEFAULT_PRIORITY = 0;

const descriptions: Readonly<Record<string, string>> = {
  "system-node-critical":
    "Used for system critical pods that must not be moved from their current node.",
  "system-cluster-critical":
    "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
};

/** The system PriorityClasses the server creates at bootstrap, as upstream's. */
export function builtinPriorityClasses(): KubeObject[] {
  return systemPriorityClasses.map(({ name, value }) => ({
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name },
    value,
    description: descriptions[name] ?? "",
    preemptionPolicy: DEFAULT_PREEMPTION_POLICY,
  }));
}

interface Resolved {
  className: string;
  priority: number;
  preemptionPolicy: string | undefined;
}

export class PriorityAdmission implements AdmissionPlugin {
  readonly name = "Priority";

  constructor(private readonly reader: ObjectReader) {}

  async mutate(request: AdmissionRequest): Promise<void> {
    if (!isMainResource(request, PODS)) return;
    if (request.operation === "CREATE") this.admitNewPod(request);
    else if (request.operation === "UPDATE") keepPriority(request);
  }

  /** A second global default is refused; the lowest-valued one wins if a race made two. */
  async validate(request: AdmissionRequest): Promise<void> {
    if (!isMainResource(request, PRIORITY_CLASSES) || request.operation === "DELETE") return;
    if (request.object.globalDefault !== true) return;
    const current = this.defaultClass();
    if (!current) return;
    const currentName = current.metadata?.name ?? "";
    if (request.operation === "CREATE" || currentName !== request.object.metadata?.name) {
      throw denyRequest(
        request,
        `PriorityClass ${currentName} is already marked as default. Only one default can exist`,
      );
    }
  }

  private admitNewPod(request: AdmissionRequest): void {
    const spec = ensureRecord(request.object, "spec");
    const resolved = this.resolve(request, stringOf(spec.priorityClassName));
    if (resolved.className) spec.priorityClassName = resolved.className;
    if (typeof spec.priority === "number" && spec.priority !== resolved.priority) {
      throw denyRequest(
        request,
        `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${resolved.priority} from the given PriorityClass name`,
      );
    }
    spec.priority = resolved.priority;
    const policy = resolved.preemptionPolicy;
    if (policy === undefined) return;
    if (typeof spec.preemptionPolicy === "string" && spec.preemptionPolicy !== policy) {
      throw denyRequest(
        request,
        `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
      );
    }
    spec.preemptionPolicy = policy;
  }

  private resolve(request: AdmissionRequest, className: string): Resolved {
    if (!className) {
      const fallback = this.defaultClass();
      if (!fallback) {
        return {
          className: "",
          priority: DEFAULT_PRIORITY,
          preemptionPolicy: DEFAULT_PREEMPTION_POLICY,
        };
      }
      return fromClass(fallback);
    }
    const found = this.reader.get(PRIORITY_CLASSES, "", className);
    if (found) return fromClass(found);
    // The system classes resolve even before bootstrap has created them.
    const system = systemPriorityClasses.find((pc) => pc.name === className);
    if (system) {
      return { className, priority: system.value, preemptionPolicy: DEFAULT_PREEMPTION_POLICY };
    }
    throw denyRequest(request, `no PriorityClass with name ${className} was found`);
  }

  private defaultClass(): KubeObject | undefined {
    let chosen: KubeObject | undefined;
    for (const pc of this.reader.list(PRIORITY_CLASSES)) {
      if (pc.globalDefault !== true) continue;
      if (!chosen || priorityValue(chosen) > priorityValue(pc)) chosen = pc;
    }
    return chosen;
  }
}

function priorityValue(pc: KubeObject): number {
  return typeof pc.value === "number" ? pc.value : 0;
}

function fromClass(pc: KubeObject): Resolved {
  const policy = stringOf(pc.preemptionPolicy);
  return {
    className: pc.metadata?.name ?? "",
    priority: priorityValue(pc),
    preemptionPolicy: policy || undefined,
  };
}

/** The priority set at creation stays: an update that omits it keeps the old values. */
function keepPriority(request: AdmissionRequest): void {
  const old = recordOf(request.oldObject?.spec);
  const spec = recordOf(request.object.spec);
  if (!old || !spec) return;
  if (spec.priority == null && old.priority != null) spec.priority = old.priority;
  if (spec.preemptionPolicy == null && old.preemptionPolicy != null) {
    spec.preemptionPolicy = old.preemptionPolicy;
  }
}
