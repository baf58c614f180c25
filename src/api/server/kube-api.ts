import type { Logger } from "../../log/logger.ts";
import type { KindDefinition, KubeObject, RequestContext } from "../../resources/kind.ts";
import type { KindRegistry } from "../../resources/kind-registry.ts";
import type { RevisionStore } from "../../store/revision-store.ts";
import { AdmissionChain } from "../admission/admission.ts";
import { ServiceAllocation, type ServiceRanges } from "../admission/service-allocation.ts";
import { StatusError } from "../errors/status-error.ts";
import { ResourceHandler, type TablePrinter } from "../handlers/resource-handler.ts";
import { decodeObject, objectKey } from "../registry/object-codec.ts";
import { ResourceRegistry } from "../registry/resource-registry.ts";
import { createApiApp, type DocumentProvider } from "./api-app.ts";
import { ApiServer } from "./api-server.ts";
import { GarbageCollector } from "./garbage-collector.ts";
import { NamespaceFinalizer } from "./namespace-finalizer.ts";

export interface KubeApiOptions {
  store: RevisionStore;
  kinds: KindRegistry;
  log: Logger;
  port: number;
  host: string;
  /** The address other components use to reach this server (the `kubernetes` endpoints). */
  advertiseAddress: string;
  tls: { certPem: string; keyPem: string; caPem: string };
  ranges: ServiceRanges;
  printTable: TablePrinter;
  documents: DocumentProvider;
}

const systemContext = (namespace: string): RequestContext => ({
  user: "system:apiserver",
  groups: ["system:masters"],
  namespace,
  dryRun: false,
});

/** The namespaces every cluster starts with. */
const initialNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

/**
 * The API server of one kubun process: a registry per kind on the revision store,
 * the admission chain, the REST handler and the HTTPS listener, plus the objects
 * every cluster starts with.
 */
export class KubeApi {
  private readonly registries = new Map<KindDefinition, ResourceRegistry>();
  private readonly allocation: ServiceAllocation;
  private readonly admission: AdmissionChain;
  private server: ApiServer | null = null;
  private namespaceFinalizer: NamespaceFinalizer | null = null;
  private garbageCollector: GarbageCollector | null = null;
  private isReady = false;
  port = 0;

  constructor(private readonly options: KubeApiOptions) {
    this.allocation = new ServiceAllocation(options.store, options.ranges);
    this.admission = new AdmissionChain([this.allocation]);
  }

  registry(kind: KindDefinition): ResourceRegistry {
    let registry = this.registries.get(kind);
    if (!registry) {
      registry = new ResourceRegistry(
        kind,
        this.options.store,
        this.admission,
        (name) => this.namespace(name),
        this.options.log.child(kind.resource),
      );
      this.registries.set(kind, registry);
    }
    return registry;
  }

  async start(): Promise<number> {
    const { kinds, log } = this.options;
    const resources = new ResourceHandler({
      registry: (kind) => this.registry(kind),
      printTable: this.options.printTable,
    });
    const app = createApiApp({
      kinds,
      resources,
      documents: this.options.documents,
      log,
      ready: () => this.isReady,
    });
    this.server = new ApiServer({
      ...this.options.tls,
      port: this.options.port,
      host: this.options.host,
      app,
      kinds,
      resources,
      registry: (kind) => this.registry(kind),
      log,
    });
    // Every resource's watch cache starts before the first request, as upstream's do:
    // a client that lists from the store and then watches from that revision finds
    // it inside the cache's window instead of getting 410 Gone.
    await Promise.all(kinds.kinds.map((kind) => this.registry(kind).cache.start()));
    this.port = await this.server.start();
    await this.bootstrap();
    this.namespaceFinalizer = new NamespaceFinalizer(
      kinds,
      (kind) => this.registry(kind),
      log.child("namespaces"),
    );
    this.namespaceFinalizer.start();
    this.garbageCollector = new GarbageCollector(
      kinds,
      (kind) => this.registry(kind),
      log.child("gc"),
    );
    this.garbageCollector.start();
    this.isReady = true;
    return this.port;
  }

  async stop(): Promise<void> {
    this.namespaceFinalizer?.stop();
    this.garbageCollector?.stop();
    await this.server?.stop();
    for (const registry of this.registries.values()) registry.cache.stop();
  }

  /**
   * A namespace, from the namespaces watch cache (as upstream's NamespaceLifecycle
   * reads its informer), falling back to the store when the cache has not seen it yet.
   */
  private async namespace(name: string): Promise<KubeObject | null> {
    const kind = this.options.kinds.resource("", "v1", "namespaces");
    if (!kind) return null;
    const key = objectKey(kind, "", name);
    const cache = this.registry(kind).cache;
    await cache.start();
    const cached = cache.get(key);
    if (cached) return cached;
    const kv = await this.options.store.get(key);
    return kv ? decodeObject(kv.value, kv.revision) : null;
  }

  /** Creates what a fresh cluster has; what exists already is left alone. */
  private async bootstrap(): Promise<void> {
    const { kinds } = this.options;
    const namespaces = kinds.resource("", "v1", "namespaces");
    const services = kinds.resource("", "v1", "services");
    const endpoints = kinds.resource("", "v1", "endpoints");
    if (!namespaces || !services || !endpoints)
      throw new Error("core kinds missing from the kind registry");
    for (const name of initialNamespaces) {
      await this.ensure(namespaces, "", { metadata: { name } });
    }
    await this.ensure(services, "default", {
      metadata: { name: "kubernetes", labels: { component: "apiserver", provider: "kubernetes" } },
      spec: {
        type: "ClusterIP",
        clusterIP: this.allocation.firstAddress,
        ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: this.port }],
        sessionAffinity: "None",
      },
    });
    // Endpoints may not name a loopback address: a server advertising one publishes none.
    await this.ensure(endpoints, "default", {
      metadata: {
        name: "kubernetes",
        labels: { "endpointslice.kubernetes.io/skip-mirror": "true" },
      },
      subsets: [
        {
          addresses: [{ ip: this.options.advertiseAddress }],
          ports: [{ name: "https", port: this.port, protocol: "TCP" }],
        },
      ],
    });
  }

  private async ensure(kind: KindDefinition, namespace: string, object: KubeObject): Promise<void> {
    const registry = this.registry(kind);
    try {
      // Look first: creating would reserve the kubernetes Service's IP again before failing.
      await registry.get(namespace, object.metadata?.name ?? "");
      return;
    } catch (error) {
      if (!(error instanceof StatusError && error.code === 404)) throw error;
    }
    try {
      await registry.create(systemContext(namespace), object, { dryRun: false });
    } catch (error) {
      if (error instanceof StatusError && error.code === 409) return;
      if (error instanceof StatusError && error.code === 422 && kind.resource === "endpoints") {
        this.options.log.warn("not publishing the kubernetes endpoints", { reason: error.message });
        return;
      }
      throw error;
    }
  }
}
