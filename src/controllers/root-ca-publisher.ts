/**
 * Root CA publisher (upstream's root-ca-cert-publisher).
 * Reconciles: every active namespace has a ConfigMap "kube-root-ca.crt" whose data is
 * exactly {"ca.crt": <cluster CA PEM>}, with upstream's description annotation.
 * Owns: those ConfigMaps (re-created when deleted, restored when changed).
 * Watches: namespaces, and ConfigMaps named kube-root-ca.crt.
 */

import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isAlreadyExists, isResync } from "./controller.ts";
import { isActiveNamespace, NAMESPACES } from "./namespaces.ts";
import type { SharedInformers } from "./shared-informers.ts";

export const ROOT_CA_CONFIG_MAP = "kube-root-ca.crt";
export const DESCRIPTION_ANNOTATION = "kubernetes.io/description";
export const DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. " +
  "No other usage is guaranteed across distributions of Kubernetes clusters.";

export interface RootCaPublisherOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  /** The cluster CA certificate, PEM. */
  caPem: string;
}

export class RootCaPublisher {
  readonly namespaces: Informer;
  readonly configMaps: Informer;
  readonly loop: ControllerLoop;
  readonly #options: RootCaPublisherOptions;

  constructor(options: RootCaPublisherOptions) {
    this.#options = options;
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.namespaces = options.informers.informer(NAMESPACES);
    this.configMaps = options.informers.informer({
      path: resourcePath({ version: "v1", resource: "configmaps" }),
      fieldSelector: `metadata.name=${ROOT_CA_CONFIG_MAP}`,
    });
    // Keys are namespace names; a ConfigMap maps to the namespace it lives in.
    const enqueue = (object: KubeObject, namespace = object.metadata?.namespace) =>
      this.loop.enqueue(namespace ?? "");
    this.namespaces.addEventHandler({
      onAdd: (ns) => enqueue(ns, ns.metadata?.name),
      onUpdate: (old, ns) => {
        if (!isResync(old, ns)) enqueue(ns, ns.metadata?.name);
      },
    });
    this.configMaps.addEventHandler({
      onUpdate: (old, cm) => {
        if (!isResync(old, cm)) enqueue(cm);
      },
      onDelete: (cm) => enqueue(cm),
    });
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.store.get(namespace);
    if (!ns || !isActiveNamespace(ns)) return;
    const { client, log, caPem } = this.#options;
    const existing = this.configMaps.store.get(`${namespace}/${ROOT_CA_CONFIG_MAP}`);
    const collection = resourcePath({ version: "v1", resource: "configmaps", namespace });
    if (!existing) {
      try {
        await client.create(collection, rootCaConfigMap(namespace, caPem));
        log.info("published root CA", { namespace });
      } catch (error) {
        if (!isAlreadyExists(error) && !isNotFound(error)) throw error;
      }
      return;
    }
    if (isUpToDate(existing, caPem)) return;
    const updated = structuredClone(existing);
    updated.data = { "ca.crt": caPem };
    updated.metadata = {
      ...updated.metadata,
      annotations: { ...updated.metadata?.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION },
    };
    await client.update(`${collection}/${ROOT_CA_CONFIG_MAP}`, updated);
    log.info("restored root CA", { namespace });
  }
}

/** Data exactly {"ca.crt": caPem} (nothing more) and a description present. */
export function isUpToDate(configMap: KubeObject, caPem: string): boolean {
  const data = (configMap.data ?? {}) as Record<string, unknown>;
  const keys = Object.keys(data);
  return (
    keys.length === 1 &&
    data["ca.crt"] === caPem &&
    Boolean(configMap.metadata?.annotations?.[DESCRIPTION_ANNOTATION])
  );
}

export function rootCaConfigMap(namespace: string, caPem: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: ROOT_CA_CONFIG_MAP,
      namespace,
      annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION },
    },
    data: { "ca.crt": caPem },
  };
}
