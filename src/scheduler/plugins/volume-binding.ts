/**
 * VolumeBinding: a pod's PersistentVolumeClaims decide where it can run. A bound claim's
 * PersistentVolume must allow the node (its nodeAffinity); an unbound claim of a
 * WaitForFirstConsumer class needs an available PV usable from the node or a class that
 * can provision there; an unbound claim of an Immediate class waits for its binder. Once
 * a node is chosen (PreBind), static matches are pre-bound (PV claimRef) and every
 * delayed claim is annotated with `volume.kubernetes.io/selected-node`, and the pod is
 * bound only after the binder has bound every claim.
 */
import { isConflict, isNotFound } from "../../client/api-error.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { LabelSelector, type MetaV1LabelSelector } from "../../resources/labels/label-selector.ts";
import { Action, type ClusterEvent, event } from "../cluster-events.ts";
import type {
  CycleState,
  FilterPlugin,
  PreBindPlugin,
  PreFilterPlugin,
  ReservePlugin,
} from "../framework.ts";
import type { Handle } from "../handle.ts";
import type { NodeInfo } from "../node-info.ts";
import { matchesTerms } from "../node-selector.ts";
import type { PodInfo } from "../pod-info.ts";
import { unitsOf } from "../resources.ts";
import { Status } from "../status.ts";
import type { NodeSelector } from "../types.ts";

export const ERR_REASON_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_REASON_NODE_CONFLICT = "node(s) had volume node affinity conflict";
export const ERR_REASON_PV_NOT_EXIST =
  "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
export const ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims";
export const ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node";
const ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
const ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
const NO_PROVISIONER = "kubernetes.io/no-provisioner";
const STATE_KEY = "VolumeBinding";

export interface VolumeBindingArgs {
  bindTimeoutSeconds?: number;
}

interface ClaimSpec {
  volumeName?: string;
  storageClassName?: string | null;
  accessModes?: string[];
  volumeMode?: string;
  selector?: MetaV1LabelSelector | null;
  resources?: { requests?: Record<string, string> };
}
interface VolumeSpec {
  claimRef?: { namespace?: string; name?: string; uid?: string } | null;
  storageClassName?: string;
  accessModes?: string[];
  volumeMode?: string;
  capacity?: Record<string, string>;
  nodeAffinity?: { required?: NodeSelector | null } | null;
}
interface ClassFields {
  provisioner?: string;
  volumeBindingMode?: string;
  allowedTopologies?: { matchLabelExpressions?: { key: string; values: string[] }[] }[] | null;
}

const claimSpec = (claim: KubeObject) => (claim.spec ?? {}) as ClaimSpec;
const volumeSpec = (volume: KubeObject) => (volume.spec ?? {}) as VolumeSpec;
const claimKey = (claim: KubeObject) => `${claim.metadata?.namespace}/${claim.metadata?.name}`;

/** Bound: a volume is named and the binder finished (annotation, or phase Bound). */
export function isClaimBound(claim: KubeObject): boolean {
  if (!claimSpec(claim).volumeName) return false;
  const phase = (claim.status as { phase?: string } | undefined)?.phase;
  return Boolean(claim.metadata?.annotations?.[ANN_BIND_COMPLETED]) || phase === "Bound";
}

interface Decision {
  /** Claim → the available PV chosen for it. */
  staticBindings: { claim: KubeObject; volume: KubeObject }[];
  /** Claims a provisioner will create a volume for. */
  provisions: KubeObject[];
}

interface State {
  bound: KubeObject[];
  delayed: KubeObject[];
  decisions: Map<string, Decision>;
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, ReservePlugin, PreBindPlugin {
  readonly name = "VolumeBinding";
  readonly #handle: Handle;
  readonly #timeoutMs: number;
  /** PVs chosen for a claim whose binding is in flight: PV name → claim key. */
  readonly #assumed = new Map<string, string>();

  constructor(handle: Handle, args: VolumeBindingArgs = {}) {
    this.#handle = handle;
    this.#timeoutMs = (args.bindTimeoutSeconds ?? 600) * 1000;
  }

  eventsToRegister(): ClusterEvent[] {
    return [
      event("PersistentVolumeClaim", Action.Add | Action.Update, "PersistentVolumeClaim"),
      event("PersistentVolume", Action.Add | Action.Update, "PersistentVolume"),
      event("StorageClass", Action.Add | Action.Update, "StorageClass"),
      event("Node", Action.Add | Action.UpdateNodeLabel | Action.UpdateNodeTaint, "Node"),
    ];
  }

  preFilter(state: CycleState, pod: PodInfo): Status | undefined {
    const volumes = (pod.spec.volumes ?? []).filter((v) => v.persistentVolumeClaim || v.ephemeral);
    if (volumes.length === 0) return Status.skip;
    const s: State = { bound: [], delayed: [], decisions: new Map() };
    for (const volume of volumes) {
      const name = volume.persistentVolumeClaim?.claimName ?? `${pod.name}-${volume.name}`;
      const claim = this.#handle.listers.persistentVolumeClaim(pod.namespace, name);
      if (!claim) return Status.unresolvable(`persistentvolumeclaim "${name}" not found`);
      if (claim.metadata?.deletionTimestamp) {
        return Status.unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
      }
      if (volume.ephemeral && !claim.metadata?.ownerReferences?.some((r) => r.uid === pod.uid)) {
        return Status.unresolvable(
          `PVC ${pod.namespace}/${name} was not created for pod ${pod.namespace}/${pod.name} (pod is not owner)`,
        );
      }
      if (isClaimBound(claim)) {
        s.bound.push(claim);
        continue;
      }
      const className = claimSpec(claim).storageClassName ?? "";
      const storageClass = className ? this.#handle.listers.storageClass(className) : undefined;
      const delayed =
        (storageClass?.volumeBindingMode as string | undefined) === "WaitForFirstConsumer";
      if (!delayed || claimSpec(claim).volumeName)
        return Status.unresolvable(ERR_UNBOUND_IMMEDIATE);
      s.delayed.push(claim);
    }
    state.write(STATE_KEY, s);
    return undefined;
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status | undefined {
    const s = state.read<State>(STATE_KEY);
    if (!s || !node.node) return undefined;
    for (const claim of s.bound) {
      const volume = this.#handle.listers.persistentVolume(claimSpec(claim).volumeName ?? "");
      if (!volume) return Status.unresolvable(ERR_REASON_PV_NOT_EXIST);
      if (!volumeAllowsNode(volume, node.node))
        return Status.unresolvable(ERR_REASON_NODE_CONFLICT);
    }
    if (s.delayed.length === 0) return undefined;
    const decision = this.#decide(s.delayed, node.node);
    if (!decision) return Status.unresolvable(ERR_REASON_BIND_CONFLICT);
    s.decisions.set(node.name, decision);
    return undefined;
  }

  /** Per delayed claim: the smallest fitting available PV on the node, else provisioning. */
  #decide(claims: KubeObject[], node: KubeObject): Decision | undefined {
    const decision: Decision = { staticBindings: [], provisions: [] };
    const taken = new Set<string>();
    for (const claim of claims) {
      const volume = this.#findVolume(claim, node, taken);
      if (volume) {
        taken.add(volume.metadata?.name ?? "");
        decision.staticBindings.push({ claim, volume });
        continue;
      }
      const className = claimSpec(claim).storageClassName ?? "";
      const storageClass = this.#handle.listers.storageClass(className) as
        | (KubeObject & ClassFields)
        | undefined;
      if (
        !storageClass ||
        !storageClass.provisioner ||
        storageClass.provisioner === NO_PROVISIONER
      ) {
        return undefined;
      }
      if (!topologyAllows(storageClass.allowedTopologies ?? [], node)) return undefined;
      decision.provisions.push(claim);
    }
    return decision;
  }

  #findVolume(claim: KubeObject, node: KubeObject, taken: Set<string>): KubeObject | undefined {
    const spec = claimSpec(claim);
    const want = unitsOf(spec.resources?.requests?.storage ?? "0");
    const className = spec.storageClassName ?? "";
    const key = claimKey(claim);
    let selector: LabelSelector | undefined;
    try {
      selector = spec.selector ? LabelSelector.fromObject(spec.selector) : undefined;
    } catch {
      return undefined;
    }
    let best: KubeObject | undefined;
    let bestSize = Number.POSITIVE_INFINITY;
    for (const volume of this.#handle.listers.persistentVolumes()) {
      const name = volume.metadata?.name ?? "";
      const v = volumeSpec(volume);
      const size = unitsOf(v.capacity?.storage ?? "0");
      if (size < want || taken.has(name)) continue;
      const assumedFor = this.#assumed.get(name);
      if (assumedFor !== undefined && assumedFor !== key) continue;
      const preBound =
        v.claimRef?.namespace === claim.metadata?.namespace &&
        v.claimRef?.name === claim.metadata?.name &&
        (!v.claimRef?.uid || v.claimRef.uid === claim.metadata?.uid);
      if (!volumeAllowsNode(volume, node)) continue;
      if (preBound) return volume;
      if (v.claimRef) continue;
      if ((v.storageClassName ?? "") !== className) continue;
      if ((volume.status as { phase?: string } | undefined)?.phase !== "Available") continue;
      if ((v.volumeMode ?? "Filesystem") !== (spec.volumeMode ?? "Filesystem")) continue;
      if (selector && !selector.matches(volume.metadata?.labels ?? {})) continue;
      if (!(spec.accessModes ?? []).every((mode) => (v.accessModes ?? []).includes(mode))) continue;
      if (size < bestSize) {
        best = volume;
        bestSize = size;
      }
    }
    return best;
  }

  reserve(state: CycleState, _pod: PodInfo, nodeName: string): Status | undefined {
    const decision = state.read<State>(STATE_KEY)?.decisions.get(nodeName);
    for (const { claim, volume } of decision?.staticBindings ?? []) {
      this.#assumed.set(volume.metadata?.name ?? "", claimKey(claim));
    }
    return undefined;
  }

  unreserve(state: CycleState, _pod: PodInfo, nodeName: string): void {
    const decision = state.read<State>(STATE_KEY)?.decisions.get(nodeName);
    for (const { volume } of decision?.staticBindings ?? []) {
      this.#assumed.delete(volume.metadata?.name ?? "");
    }
  }

  async preBind(state: CycleState, _pod: PodInfo, nodeName: string): Promise<Status | undefined> {
    const s = state.read<State>(STATE_KEY);
    if (!s || s.delayed.length === 0) return undefined;
    const decision = s.decisions.get(nodeName);
    if (!decision) return Status.error(`no volume binding decision for node ${nodeName}`);
    const { client } = this.#handle;
    try {
      for (const { claim, volume } of decision.staticBindings) {
        await client.patch(
          resourcePath({
            version: "v1",
            resource: "persistentvolumes",
            name: volume.metadata?.name,
          }),
          {
            metadata: {
              resourceVersion: volume.metadata?.resourceVersion,
              annotations: { [ANN_BOUND_BY_CONTROLLER]: "yes" },
            },
            spec: {
              claimRef: {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                namespace: claim.metadata?.namespace,
                name: claim.metadata?.name,
                uid: claim.metadata?.uid,
                resourceVersion: claim.metadata?.resourceVersion,
              },
            },
          },
        );
      }
      for (const claim of s.delayed) {
        if (claim.metadata?.annotations?.[ANN_SELECTED_NODE] === nodeName) continue;
        await client.patch(
          resourcePath({
            version: "v1",
            resource: "persistentvolumeclaims",
            namespace: claim.metadata?.namespace,
            name: claim.metadata?.name,
          }),
          { metadata: { annotations: { [ANN_SELECTED_NODE]: nodeName } } },
        );
      }
    } catch (error) {
      if (isConflict(error) || isNotFound(error)) {
        return Status.error(`binding volumes: ${(error as Error).message}`);
      }
      throw error;
    }
    const status = await this.#waitForBindings([...s.bound, ...s.delayed], nodeName);
    // Bound now: the PV informer shows them taken, the in-flight marks can go.
    if (!status) {
      for (const { volume } of decision.staticBindings) {
        this.#assumed.delete(volume.metadata?.name ?? "");
      }
    }
    return status;
  }

  /** Resolves once every claim is bound to a PV usable from the node (or fails/times out). */
  #waitForBindings(claims: KubeObject[], nodeName: string): Promise<Status | undefined> {
    const { listers } = this.#handle;
    const check = (): Status | undefined | "waiting" => {
      const node = this.#handle.cache.getNode(nodeName)?.node;
      for (const claim of claims) {
        const current = listers.persistentVolumeClaim(
          claim.metadata?.namespace ?? "",
          claim.metadata?.name ?? "",
        );
        if (!current)
          return Status.error(`persistentvolumeclaim "${claim.metadata?.name}" not found`);
        if (!isClaimBound(current)) return "waiting";
        const volume = listers.persistentVolume(claimSpec(current).volumeName ?? "");
        if (!volume) return "waiting";
        if (node && !volumeAllowsNode(volume, node)) {
          return Status.error(
            `pv "${volume.metadata?.name}" node affinity doesn't match node "${nodeName}"`,
          );
        }
      }
      return undefined;
    };
    return new Promise((resolve) => {
      const finish = (status: Status | undefined) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(status);
      };
      const onChange = () => {
        const result = check();
        if (result !== "waiting") finish(result);
      };
      const timer = setTimeout(
        () => finish(Status.error("timed out waiting for the condition (volume binding)")),
        this.#timeoutMs,
      );
      const unsubscribe = this.#handle.onStorageChange(onChange);
      onChange();
    });
  }
}

function volumeAllowsNode(volume: KubeObject, node: KubeObject): boolean {
  const required = volumeSpec(volume).nodeAffinity?.required;
  if (!required) return true;
  return matchesTerms(required.nodeSelectorTerms ?? [], node);
}

/** StorageClass allowedTopologies: empty allows everywhere; else one term must match. */
function topologyAllows(terms: NonNullable<ClassFields["allowedTopologies"]>, node: KubeObject) {
  if (terms.length === 0) return true;
  const labels = node.metadata?.labels ?? {};
  return terms.some((term) =>
    (term.matchLabelExpressions ?? []).every((e) => e.values.includes(labels[e.key] ?? "\u0000")),
  );
}
