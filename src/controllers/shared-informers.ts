import { Informer } from "../client/informer.ts";
import type { ListerWatcher } from "../client/reflector.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { BY_CONTROLLER, BY_NODE, byControllerUid, byNodeName } from "./owners.ts";

const byNamespace = (object: KubeObject): string[] => [object.metadata?.namespace ?? ""];

export interface InformerSelection {
  /** Collection path, e.g. `resourcePath({ version: "v1", resource: "namespaces" })`. */
  path: string;
  fieldSelector?: string;
  labelSelector?: string;
}

/**
 * One informer per watched selection, shared by every controller asking for it
 * (client-go's SharedInformerFactory), so two controllers on namespaces cost one
 * watch and one cache. Every cache is indexed by namespace, by controller UID
 * (`BY_CONTROLLER`) and by node (`BY_NODE`, for pods). Ask for informers before `start`; handlers added later
 * still receive everything cached.
 */
export class SharedInformers {
  readonly #client: ListerWatcher;
  readonly #log: Logger;
  readonly #informers = new Map<string, Informer>();
  #started = false;

  constructor(client: ListerWatcher, log: Logger) {
    this.#client = client;
    this.#log = log;
  }

  informer<T extends KubeObject = KubeObject>(selection: InformerSelection): Informer<T> {
    const key = JSON.stringify([selection.path, selection.fieldSelector, selection.labelSelector]);
    let informer = this.#informers.get(key);
    if (!informer) {
      informer = new Informer(this.#client, {
        ...selection,
        indexers: {
          namespace: byNamespace,
          [BY_CONTROLLER]: byControllerUid,
          [BY_NODE]: byNodeName,
        },
        onError: (error) => this.#log.warn("list/watch failed", { path: selection.path, error }),
      });
      this.#informers.set(key, informer);
      if (this.#started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  start(): void {
    this.#started = true;
    for (const informer of this.#informers.values()) informer.start();
  }

  /** Resolves once every informer holds its first complete list. */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((informer) => informer.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
  }
}
