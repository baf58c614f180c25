/**
 * What the agent's server needs from the pod worker: the pods this node runs,
 * their containers' instances and where those instances' logs are. The pod
 * worker implements it; the server only reads.
 */
import type { ContainerHandle } from "../runtime/runtime.ts";

/** One instance (a start) of a container. */
export interface ContainerInstance {
  /** Its CRI-format log file (`<RFC3339Nano> <stdout|stderr> <F|P> <text>` lines). */
  logPath: string;
  /**
   * The runtime's handle (running, or finished: `exited` resolved); null when the
   * runtime has forgotten the instance (its log stays readable). A null handle
   * counts as exited.
   */
  handle: ContainerHandle | null;
}

/** A container of a located pod, as its containerStatuses entry would describe it. */
export interface LocatedContainer {
  name: string;
  /**
   * The instance `state` describes (running, or terminated and not yet
   * restarted); null while the container waits (not started yet, or in restart
   * back-off: then logs come from `previous`, as the kubelet's do).
   */
  current: ContainerInstance | null;
  /** The instance `lastState.terminated` describes: the one before; null if none. */
  previous: ContainerInstance | null;
  /** Why it waits ("ContainerCreating", "ErrImageNeverPull", "CrashLoopBackOff", …). */
  waitingReason?: string;
  /** The spec's stdin, stdinOnce and tty (attach honours them). */
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
}

/** A pod this agent runs. */
export interface LocatedPod {
  namespace: string;
  name: string;
  uid: string;
  /** Every container of the spec: init, regular and ephemeral ones. */
  containers: readonly LocatedContainer[];
}

/** Finds the pods (and their containers) this node runs. */
export interface ContainerLocator {
  /**
   * The pod with this namespace and name (and uid, when given); null when this
   * agent does not run it.
   */
  findPod(
    namespace: string,
    name: string,
    uid?: string,
  ): LocatedPod | null | Promise<LocatedPod | null>;
  /** Every pod this agent runs (for /stats/summary); absent: none are listed. */
  listPods?(): LocatedPod[] | Promise<LocatedPod[]>;
}
