/**
 * Cluster events that can make an unschedulable pod schedulable (upstream
 * fwk.ClusterEvent): a resource and what happened to it. Each plugin registers the
 * events that could undo its own rejections; the queue moves a pod only on events some
 * plugin that rejected it registered.
 */
import type { KubeObject } from "../resources/kind.ts";
import { effectiveTaints } from "./taints.ts";
import { nodeSpec, nodeStatus } from "./types.ts";

export type EventResource =
  | "Pod"
  | "Node"
  | "PersistentVolumeClaim"
  | "PersistentVolume"
  | "StorageClass"
  | "*";

/** Bit flags, combined with `|`. */
export const Action = {
  Add: 1,
  Delete: 2,
  UpdateNodeAllocatable: 4,
  UpdateNodeLabel: 8,
  UpdateNodeTaint: 16,
  UpdatePodLabel: 32,
  UpdatePodScaleDown: 64,
  /** Any update of resources that have no finer kinds (PVC, PV, StorageClass). */
  Update: 128,
  All: 0xffff,
} as const;

export interface ClusterEvent {
  resource: EventResource;
  actions: number;
  /** For logs. */
  label: string;
}

export const event = (resource: EventResource, actions: number, label: string): ClusterEvent => ({
  resource,
  actions,
  label,
});

export const NODE_ADD = event("Node", Action.Add, "NodeAdd");
export const NODE_DELETE = event("Node", Action.Delete, "NodeDelete");
export const ASSIGNED_POD_ADD = event("Pod", Action.Add, "AssignedPodAdd");
export const ASSIGNED_POD_DELETE = event("Pod", Action.Delete, "AssignedPodDelete");
/** Periodic flush and forced retries: every pod qualifies. */
export const UNSCHEDULABLE_TIMEOUT = event("*", Action.All, "UnschedulableTimeout");

/** Does a registration (what a plugin listens for) cover `e`? */
export function covers(registered: ClusterEvent, e: ClusterEvent): boolean {
  if (e.resource === "*" || registered.resource === "*") return true;
  return registered.resource === e.resource && (registered.actions & e.actions) !== 0;
}

/**
 * What changed in a node update, as upstream's nodeSchedulingPropertiesChange; 0 for
 * heartbeats and other changes no plugin cares about.
 */
export function nodeUpdateActions(oldNode: KubeObject, newNode: KubeObject): number {
  let actions = 0;
  const oldAllocatable = nodeStatus(oldNode).allocatable ?? {};
  const newAllocatable = nodeStatus(newNode).allocatable ?? {};
  if (!sameRecord(oldAllocatable, newAllocatable)) actions |= Action.UpdateNodeAllocatable;
  if (!sameRecord(oldNode.metadata?.labels ?? {}, newNode.metadata?.labels ?? {})) {
    actions |= Action.UpdateNodeLabel;
  }
  if (
    Boolean(nodeSpec(oldNode).unschedulable) !== Boolean(nodeSpec(newNode).unschedulable) ||
    JSON.stringify(effectiveTaints(oldNode)) !== JSON.stringify(effectiveTaints(newNode))
  ) {
    actions |= Action.UpdateNodeTaint;
  }
  return actions;
}

/** What changed in an assigned pod's update that could free room for others. */
export function podUpdateActions(oldPod: KubeObject, newPod: KubeObject): number {
  let actions = 0;
  if (!sameRecord(oldPod.metadata?.labels ?? {}, newPod.metadata?.labels ?? {})) {
    actions |= Action.UpdatePodLabel;
  }
  // In-place resize, or a pod leaving the node's accounting (terminating counts still).
  if (JSON.stringify(oldPod.spec) !== JSON.stringify(newPod.spec)) {
    actions |= Action.UpdatePodScaleDown;
  }
  return actions;
}

function sameRecord(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) if (a[key] !== b[key] || !Object.hasOwn(b, key)) return false;
  return true;
}
