/**
 * The scheduling queue (upstream internal/queue.PriorityQueue). Three places a pending
 * pod can be:
 * - activeQ: ready to be tried, highest priority first, then first come;
 * - backoffQ: failed recently, waits 1 s, 2 s, 4 s … up to 10 s per attempt;
 * - unschedulable: fits nowhere; waits for a cluster event that could help it (one a
 *   plugin that rejected it registered), or at most 5 minutes.
 * Pods a PreEnqueue plugin rejects (scheduling gates) wait in `unschedulable` until
 * their own update. Guarantees: a pod is in at most one place; `pop` hands each pod to
 * one scheduling cycle; `close` ends a waiting `pop` with undefined.
 */
import type { KubeObject } from "../resources/kind.ts";
import { type ClusterEvent, covers, UNSCHEDULABLE_TIMEOUT } from "./cluster-events.ts";
import { KeyedHeap } from "./heap.ts";
import type { PodInfo } from "./pod-info.ts";
import type { Status } from "./status.ts";

export interface QueuedPodInfo {
  podInfo: PodInfo;
  readonly key: string;
  /** When it last entered a queue (ms); orders equal priorities and times back-off. */
  timestamp: number;
  /** Insertion order, for pods enqueued in the same millisecond. */
  seq: number;
  attempts: number;
  initialAttemptTimestamp: number | undefined;
  /** Plugins that rejected it in its last attempt. */
  unschedulablePlugins: Set<string>;
  /** Rejected by a PreEnqueue plugin. */
  gated: boolean;
}

export interface SchedulingQueueOptions {
  /** PreEnqueue plugins of the pod's profile. */
  preEnqueue?: (pod: PodInfo) => Status | undefined;
  /** What each plugin registered (EventsToRegister), by plugin name. */
  eventsByPlugin?: ReadonlyMap<string, readonly ClusterEvent[]>;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxInUnschedulableMs?: number;
  now?: () => number;
}

const BACKOFF_FLUSH_MS = 1000;
const UNSCHEDULABLE_FLUSH_MS = 30_000;

export class SchedulingQueue {
  readonly #active = new KeyedHeap<QueuedPodInfo>(
    (q) => q.key,
    (a, b) =>
      a.podInfo.priority !== b.podInfo.priority
        ? a.podInfo.priority > b.podInfo.priority
        : a.timestamp !== b.timestamp
          ? a.timestamp < b.timestamp
          : a.seq < b.seq,
  );
  readonly #backoff = new KeyedHeap<QueuedPodInfo>(
    (q) => q.key,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  readonly #unschedulable = new Map<string, QueuedPodInfo>();
  readonly #inFlight = new Set<string>();
  readonly #preEnqueue: (pod: PodInfo) => Status | undefined;
  readonly #eventsByPlugin: ReadonlyMap<string, readonly ClusterEvent[]>;
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxInUnschedulableMs: number;
  readonly #now: () => number;
  #seq = 0;
  #waiter: (() => void) | undefined;
  #closed = false;
  #timers: ReturnType<typeof setInterval>[] = [];
  /** Scheduling cycles started so far. */
  schedulingCycle = 0;

  constructor(options: SchedulingQueueOptions = {}) {
    this.#preEnqueue = options.preEnqueue ?? (() => undefined);
    this.#eventsByPlugin = options.eventsByPlugin ?? new Map();
    this.#initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.#maxInUnschedulableMs = options.maxInUnschedulableMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Starts the periodic flushes of backoffQ and of long-unschedulable pods. */
  start(): void {
    this.#timers.push(setInterval(() => this.flushBackoffCompleted(), BACKOFF_FLUSH_MS));
    this.#timers.push(setInterval(() => this.flushUnschedulableLeftover(), UNSCHEDULABLE_FLUSH_MS));
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#waiter?.();
  }

  get counts(): { active: number; backoff: number; unschedulable: number } {
    return {
      active: this.#active.size,
      backoff: this.#backoff.size,
      unschedulable: this.#unschedulable.size,
    };
  }

  /** Where `key` is: "active", "backoff", "unschedulable", "inFlight" or undefined. */
  whereIs(key: string): string | undefined {
    if (this.#active.has(key)) return "active";
    if (this.#backoff.has(key)) return "backoff";
    if (this.#unschedulable.has(key)) return "unschedulable";
    if (this.#inFlight.has(key)) return "inFlight";
    return undefined;
  }

  get(key: string): QueuedPodInfo | undefined {
    return this.#active.get(key) ?? this.#backoff.get(key) ?? this.#unschedulable.get(key);
  }

  /** A new pending pod. */
  add(pod: PodInfo): void {
    if (this.#closed) return;
    const existing = this.get(pod.key);
    if (existing) {
      existing.podInfo = pod;
      return;
    }
    this.#toActive(this.#newQueued(pod));
  }

  /** A pending pod changed. */
  update(oldPod: KubeObject, pod: PodInfo): void {
    if (this.#closed) return;
    const key = pod.key;
    const active = this.#active.get(key);
    if (active) {
      active.podInfo = pod;
      this.#active.add(active);
      return;
    }
    const backingOff = this.#backoff.get(key);
    if (backingOff) {
      backingOff.podInfo = pod;
      this.#backoff.add(backingOff);
      return;
    }
    const parked = this.#unschedulable.get(key);
    if (parked) {
      parked.podInfo = pod;
      // Our own status writes (conditions, nominations) are not news for the pod.
      if (!isPodUpdated(oldPod, pod.pod)) return;
      this.#unschedulable.delete(key);
      if (!parked.gated && this.isBackingOff(parked)) this.#backoff.add(parked);
      else this.#toActive(parked);
      return;
    }
    if (this.#inFlight.has(key)) return;
    this.#toActive(this.#newQueued(pod));
  }

  delete(key: string): void {
    this.#active.delete(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    this.#inFlight.delete(key);
  }

  /** The next pod to schedule, waiting while there is none; undefined once closed. */
  async pop(): Promise<QueuedPodInfo | undefined> {
    for (;;) {
      if (this.#closed) return undefined;
      const next = this.#active.pop();
      if (next) {
        this.schedulingCycle++;
        next.attempts++;
        next.initialAttemptTimestamp ??= this.#now();
        this.#inFlight.add(next.key);
        return next;
      }
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
      this.#waiter = undefined;
    }
  }

  /** The scheduling cycle of `key` is over (it was bound, assumed, or re-queued). */
  done(key: string): void {
    this.#inFlight.delete(key);
  }

  /**
   * After a failed attempt: back to backoffQ when no plugin rejected it (an error),
   * else to the unschedulable pods until an event could help.
   */
  addUnschedulableIfNotPresent(queued: QueuedPodInfo): void {
    this.#inFlight.delete(queued.key);
    if (this.#closed || this.get(queued.key)) return;
    queued.timestamp = this.#now();
    queued.seq = this.#seq++;
    if (queued.unschedulablePlugins.size === 0) this.#backoff.add(queued);
    else this.#unschedulable.set(queued.key, queued);
  }

  /** Upstream MoveAllToActiveOrBackoffQueue, for the pods `event` could help. */
  moveAllToActiveOrBackoff(event: ClusterEvent, filter?: (q: QueuedPodInfo) => boolean): void {
    if (this.#unschedulable.size === 0) return;
    const moved: QueuedPodInfo[] = [];
    for (const queued of this.#unschedulable.values()) {
      if (queued.gated || !this.#helps(queued, event)) continue;
      if (filter && !filter(queued)) continue;
      moved.push(queued);
    }
    for (const queued of moved) {
      this.#unschedulable.delete(queued.key);
      if (this.isBackingOff(queued)) this.#backoff.add(queued);
      else this.#toActive(queued);
    }
  }

  /** Moves backed-off pods whose time is up to activeQ. */
  flushBackoffCompleted(): void {
    const now = this.#now();
    for (let next = this.#backoff.peek(); next; next = this.#backoff.peek()) {
      if (this.backoffExpiry(next) > now) return;
      this.#backoff.pop();
      this.#toActive(next);
    }
  }

  /** Pods unschedulable for longer than the maximum get another try. */
  flushUnschedulableLeftover(): void {
    const now = this.#now();
    this.moveAllToActiveOrBackoff(
      UNSCHEDULABLE_TIMEOUT,
      (q) => now - q.timestamp >= this.#maxInUnschedulableMs,
    );
  }

  /** initial × 2^(attempts−1), capped at the maximum. */
  backoffDuration(queued: QueuedPodInfo): number {
    let duration = this.#initialBackoffMs;
    for (let i = 1; i < queued.attempts; i++) {
      if (duration > this.#maxBackoffMs - duration) return this.#maxBackoffMs;
      duration += duration;
    }
    return Math.min(duration, this.#maxBackoffMs);
  }

  backoffExpiry(queued: QueuedPodInfo): number {
    return queued.timestamp + this.backoffDuration(queued);
  }

  isBackingOff(queued: QueuedPodInfo): boolean {
    return queued.attempts > 0 && this.backoffExpiry(queued) > this.#now();
  }

  #helps(queued: QueuedPodInfo, event: ClusterEvent): boolean {
    if (event.resource === "*" || queued.unschedulablePlugins.size === 0) return true;
    for (const plugin of queued.unschedulablePlugins) {
      for (const registered of this.#eventsByPlugin.get(plugin) ?? []) {
        if (covers(registered, event)) return true;
      }
    }
    return false;
  }

  #newQueued(pod: PodInfo): QueuedPodInfo {
    return {
      podInfo: pod,
      key: pod.key,
      timestamp: this.#now(),
      seq: this.#seq++,
      attempts: 0,
      initialAttemptTimestamp: undefined,
      unschedulablePlugins: new Set(),
      gated: false,
    };
  }

  /** To activeQ unless a PreEnqueue plugin holds it back. */
  #toActive(queued: QueuedPodInfo): void {
    const rejection = this.#preEnqueue(queued.podInfo);
    if (rejection) {
      queued.gated = true;
      queued.unschedulablePlugins = new Set([rejection.plugin]);
      this.#unschedulable.set(queued.key, queued);
      return;
    }
    queued.gated = false;
    this.#active.add(queued);
    this.#waiter?.();
  }
}

/** Upstream isPodUpdated: a change beyond status and bookkeeping metadata. */
export function isPodUpdated(oldPod: KubeObject, newPod: KubeObject): boolean {
  const strip = (pod: KubeObject) =>
    JSON.stringify({
      ...pod,
      status: undefined,
      metadata: {
        ...pod.metadata,
        resourceVersion: undefined,
        generation: undefined,
        managedFields: undefined,
      },
    });
  return strip(oldPod) !== strip(newPod);
}
