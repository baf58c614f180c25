import { ApiClient, type DeleteOptions, type PatchType } from "../client/api-client.ts";
import type { Status } from "../client/api-error.ts";
import type { ClientConfig } from "../client/kube-config.ts";
import type { KubeObject } from "../resources/kind.ts";

/** A write attempted by a leader-only loop after its term ended. */
export class NotLeaderError extends Error {
  override name = "NotLeaderError";
  constructor() {
    super("this server no longer leads: the write was not sent");
  }
}

/**
 * The client of the leader-only loops (controllers, scheduler): every write first
 * checks that the term it was made for still holds, so a deposed or frozen leader
 * cannot act on the cluster even with work already queued.
 */
export class FencedApiClient extends ApiClient {
  readonly #isLeader: () => boolean;

  constructor(config: ClientConfig, isLeader: () => boolean) {
    super(config);
    this.#isLeader = isLeader;
  }

  #check(): void {
    if (!this.#isLeader()) throw new NotLeaderError();
  }

  override async create<T extends KubeObject>(path: string, object: T): Promise<T> {
    this.#check();
    return super.create(path, object);
  }

  override async update<T extends KubeObject>(path: string, object: T): Promise<T> {
    this.#check();
    return super.update(path, object);
  }

  override async updateStatus<T extends KubeObject>(path: string, object: T): Promise<T> {
    this.#check();
    return super.updateStatus(path, object);
  }

  override async patch<T extends KubeObject = KubeObject>(
    path: string,
    patch: unknown,
    type?: PatchType,
  ): Promise<T> {
    this.#check();
    return super.patch<T>(path, patch, type);
  }

  override async delete<T extends KubeObject | Status = KubeObject | Status>(
    path: string,
    options?: DeleteOptions,
  ): Promise<T> {
    this.#check();
    return super.delete<T>(path, options);
  }
}
