/**
 * Pod (core/v1): defaults as upstream's SetDefaults_Pod/PodSpec, a Pending status with
 * its QoS class at creation, the frozen-spec update rules, and the field selectors
 * kubelets and `kubectl get pods --field-selector` use.
 */
import type { KindDefinition, KubeObject } from "../../kind.ts";
import { recordList, recordOf, stringOf } from "./json-value.ts";
import {
  validatePodCreateOnly,
  validatePodMetadataAndSpec,
  validatePodUpdate,
} from "./pod.validation.ts";
import { computePodQOS } from "./pod-qos.ts";
import { defaultPodOnly, defaultPodSpec } from "./pod-spec-defaults.ts";
import { keepStatus } from "./status-strategy.ts";

/** The status a new pod starts with, whatever the client sent. */
export function initialPodStatus(pod: KubeObject): Record<string, unknown> {
  const spec = recordOf(pod.spec) ?? {};
  const status: Record<string, unknown> = { phase: "Pending", qosClass: computePodQOS(spec) };
  // A gated pod says why it is not being scheduled, so `kubectl describe` can show it.
  if (recordList(spec.schedulingGates).length > 0) {
    status.conditions = [
      {
        type: "PodScheduled",
        status: "False",
        reason: "SchedulingGated",
        message: "Scheduling is blocked due to non-empty scheduling gates",
      },
    ];
  }
  return status;
}

export const podKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "Pod",
  resource: "pods",
  singular: "pod",
  namespaced: true,
  schemaRef: "core/v1.Pod",
  hasStatus: true,
  shortNames: ["po"],
  categories: ["all"],
  subresourceStrategies: {
    // pods/binding sets spec.nodeName of an unassigned pod and, as upstream's
    // assignPod does, the PodScheduled condition to True; nothing else.
    binding: {
      prepare(pod, old) {
        const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
        pod.spec = { ...structuredClone((old.spec ?? {}) as Record<string, unknown>), nodeName };
        const status = structuredClone((old.status ?? {}) as { conditions?: PodCondition[] });
        const conditions = status.conditions ?? [];
        const previous = conditions.find((c) => c.type === "PodScheduled");
        const scheduled: PodCondition = {
          type: "PodScheduled",
          status: "True",
          lastProbeTime: null,
          lastTransitionTime:
            previous?.status === "True"
              ? previous.lastTransitionTime
              : new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        };
        status.conditions = previous
          ? conditions.map((c) => (c === previous ? scheduled : c))
          : [...conditions, scheduled];
        pod.status = status;
      },
      validate: () => [],
    },
  },
  subresources: [
    "binding",
    "eviction",
    "log",
    "exec",
    "attach",
    "portforward",
    "status",
    "ephemeralcontainers",
  ],

  defaults(pod) {
    const spec = recordOf(pod.spec);
    if (!spec) return;
    defaultPodSpec(spec);
    defaultPodOnly(spec);
  },

  prepareForCreate(pod) {
    pod.status = initialPodStatus(pod);
  },

  prepareForUpdate(pod, old) {
    keepStatus(pod, old);
  },

  validate(pod) {
    const errors = validatePodMetadataAndSpec(pod);
    // The registry runs `validate` on updates too; a create is the only write without a
    // resourceVersion (the store rejects creates that carry one).
    if (!pod.metadata?.resourceVersion) errors.push(...validatePodCreateOnly(pod));
    return errors;
  },

  validateUpdate(pod, old) {
    return validatePodUpdate(pod, old);
  },

  selectableFields(pod) {
    const spec = recordOf(pod.spec) ?? {};
    const status = recordOf(pod.status) ?? {};
    const podIPs = recordList(status.podIPs);
    return {
      "spec.nodeName": stringOf(spec.nodeName),
      "spec.restartPolicy": stringOf(spec.restartPolicy),
      "spec.schedulerName": stringOf(spec.schedulerName),
      "spec.serviceAccountName": stringOf(spec.serviceAccountName),
      "spec.hostNetwork": String(spec.hostNetwork === true),
      "status.phase": stringOf(status.phase),
      "status.podIP": podIPs.length > 0 ? stringOf(podIPs[0]?.ip) : stringOf(status.podIP),
      "status.nominatedNodeName": stringOf(status.nominatedNodeName),
    };
  },
};

interface PodCondition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string | null;
  reason?: string;
  message?: string;
}
