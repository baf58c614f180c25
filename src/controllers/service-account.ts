/**
 * Service account controller (upstream's serviceaccounts controller).
 * Reconciles: every active namespace has a ServiceAccount named "default".
 * Owns: those ServiceAccounts (re-created when deleted; never updated or deleted).
 * Watches: namespaces, and ServiceAccounts named "default" (for deletions).
 */

import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isAlreadyExists, isResync } from "./controller.ts";
import { isActiveNamespace, NAMESPACES } from "./namespaces.ts";
import type { SharedInformers } from "./shared-informers.ts";

export const DEFAULT_SERVICE_ACCOUNT = "default";

export interface ServiceAccountControllerOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
}

export class ServiceAccountController {
  readonly namespaces: Informer;
  readonly serviceAccounts: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #log: Logger;

  constructor(options: ServiceAccountControllerOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.namespaces = options.informers.informer(NAMESPACES);
    this.serviceAccounts = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "serviceaccounts" }),
      fieldSelector: `metadata.name=${DEFAULT_SERVICE_ACCOUNT}`,
    });
    // Keys are namespace names: one namespace, one thing to ensure.
    const enqueueNamespace = (ns: KubeObject) => this.loop.enqueue(ns.metadata?.name ?? "");
    this.namespaces.addEventHandler({
      onAdd: enqueueNamespace,
      onUpdate: (old, ns) => {
        if (!isResync(old, ns)) enqueueNamespace(ns);
      },
    });
    this.serviceAccounts.addEventHandler({
      onDelete: (sa) => this.loop.enqueue(sa.metadata?.namespace ?? ""),
    });
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.store.get(namespace);
    if (!ns || !isActiveNamespace(ns)) return;
    if (this.serviceAccounts.store.get(`${namespace}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
    try {
      await this.#client.create(
        resourcePath({ version: "v1", resource: "serviceaccounts", namespace }),
        defaultServiceAccount(namespace),
      );
      this.#log.info("created default service account", { namespace });
    } catch (error) {
      // Our cache was behind, or the namespace went away meanwhile: nothing to do.
      if (!isAlreadyExists(error) && !isNotFound(error)) throw error;
    }
  }
}

export function defaultServiceAccount(namespace: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: DEFAULT_SERVICE_ACCOUNT, namespace },
  };
}
