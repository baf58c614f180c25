import { NodeRestriction } from "../../auth/node/node-restriction.ts";
import {
  defaultClusterRoleBindings,
  defaultClusterRoles,
  defaultRoleBindings,
  defaultRoles,
} from "../../auth/rbac/bootstrap-policy.ts";
import { RbacEscalationCheck } from "../../auth/rbac/escalation.ts";
import { rulesFor } from "../../auth/rbac/rbac-authorizer.ts";
import type { Authorizer } from "../../auth/types.ts";
import type { ApiClient } from "../../client/api-client.ts";
import { type RunningControllers, startControllers } from "../../controllers/controller-manager.ts";
import { FencedApiClient } from "../../ha/fenced-client.ts";
import { LeaderElector, type LeaderTerm } from "../../ha/leader-election.ts";
import { publishLeaderLease } from "../../ha/leader-lease.ts";
import type { Logger } from "../../log/logger.ts";
import type { KindDefinition, KubeObject, RequestContext } from "../../resources/kind.ts";
import type { KindRegistry } from "../../resources/kind-registry.ts";
import {
  invalid as invalidField,
  notSupported as notSupportedField,
} from "../../resources/validation/field-error.ts";
import { fieldPath } from "../../resources/validation/field-path.ts";
import type { SchedulerConfiguration } from "../../scheduler/config.ts";
import { Scheduler } from "../../scheduler/scheduler.ts";
import type { DatabaseOptions } from "../../store/database.ts";
import type { RevisionStore } from "../../store/revision-store.ts";
import type { CertificateAuthority } from "../../tls/certificate-authority.ts";
import { AdmissionChain } from "../admission/admission.ts";
import { CertificateApproval } from "../admission/certificate-approval.ts";
import { CertificateSigning } from "../admission/certificate-signing.ts";
import { CertificateSubjectRestriction } from "../admission/certificate-subject-restriction.ts";
import { DefaultStorageClass } from "../admission/default-storage-class.ts";
import {
  DefaultTolerationSeconds,
  type DefaultTolerationSecondsOptions,
} from "../admission/default-toleration-seconds.ts";
import { LimitRanger } from "../admission/limit-ranger.ts";
import { NamespaceLifecycle } from "../admission/namespace-lifecycle.ts";
import { builtinPriorityClasses, PriorityAdmission } from "../admission/priority.ts";
import { ResourceQuotaAdmission } from "../admission/resource-quota.ts";
import { ServiceAccountAdmission } from "../admission/service-account.ts";
import { ServiceAllocation, type ServiceRanges } from "../admission/service-allocation.ts";
import { conflict, invalid, notFound, StatusError } from "../errors/status-error.ts";
import { ResourceHandler, type TablePrinter } from "../handlers/resource-handler.ts";
import { decodeObject, objectKey } from "../registry/object-codec.ts";
import { ResourceRegistry } from "../registry/resource-registry.ts";
import { createApiApp, type DocumentProvider } from "./api-app.ts";
import { ApiServer } from "./api-server.ts";
import { CacheReader } from "./cache-reader.ts";
import {
  buildClusterSecurity,
  type ClusterSecurity,
  type SecurityOptions,
} from "./cluster-security.ts";
import { GarbageCollector } from "./garbage-collector.ts";
import { NamespaceFinalizer } from "./namespace-finalizer.ts";
import { evictionAction, registryEvictionBackend } from "./pod-eviction.ts";
import { createPodStreams } from "./pod-streams.ts";
import { QuotaRecount } from "./quota-recount.ts";
import { reviewActions } from "./reviews.ts";

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
  ca: CertificateAuthority;
  auth: SecurityOptions;
  printTable: TablePrinter;
  documents: DocumentProvider;
  /** The scheduler's KubeSchedulerConfiguration (--scheduler-config); upstream defaults when absent. */
  schedulerConfig?: SchedulerConfiguration;
  /** Node monitoring (upstream --node-monitor-grace-period and --node-monitor-period), seconds. */
  nodeMonitor?: { gracePeriodSeconds?: number; periodSeconds?: number };
  /** Which controllers run (--controllers) and their settings. */
  controllers?: {
    enabled?: (name: string) => boolean;
    terminatedPodGcThreshold?: number;
    localStoragePath?: string;
  };
  /** The DefaultTolerationSeconds plugin's tolerations for not-ready and unreachable nodes. */
  defaultTolerationSeconds?: DefaultTolerationSecondsOptions;
  /**
   * Elect the leader among the servers on this database; without it this server
   * always leads (tests that build a KubeApi directly).
   */
  leaderElection?: {
    database: DatabaseOptions;
    /** This server's host name; the port and a random suffix are added. */
    identity: string;
    periodMs?: number;
    staleAfterMs?: number;
  };
}

const systemContext = (namespace: string): RequestContext => ({
  user: "system:apiserver",
  groups: ["system:masters"],
  namespace,
  dryRun: false,
});

interface TokenRequestSpec {
  audiences?: string[];
  expirationSeconds?: number;
  boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string };
}

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
  private readonly reader: CacheReader;
  private clusterSecurity: ClusterSecurity | null = null;
  private server: ApiServer | null = null;
  private elector: LeaderElector | null = null;
  private leaderLoops: { stop(): Promise<void> } | null = null;
  /** Rejects if leader election cannot work on this database; never resolves. */
  fatal: Promise<never> = new Promise<never>(() => {});
  private isReady = false;
  port = 0;

  constructor(private readonly options: KubeApiOptions) {
    this.allocation = new ServiceAllocation(options.store, options.ranges);
    this.reader = new CacheReader(options.kinds, (kind) => this.registry(kind));
    // The authorizer exists once start() has read the keys; admission only runs after that.
    const authorizer: Authorizer = {
      authorize: (attributes) => this.security().authorizer.authorize(attributes),
    };
    this.admission = new AdmissionChain([
      new NamespaceLifecycle(),
      new NodeRestriction(this.reader),
      new ServiceAccountAdmission(this.reader, (namespace) =>
        this.ensureDefaultServiceAccount(namespace),
      ),
      new PriorityAdmission(this.reader),
      new DefaultTolerationSeconds(options.defaultTolerationSeconds),
      new DefaultStorageClass(this.reader),
      new LimitRanger(this.reader),
      this.allocation,
      new RbacEscalationCheck(this.reader, authorizer),
      new CertificateApproval(authorizer),
      new CertificateSigning(authorizer),
      new CertificateSubjectRestriction(),
      // Charges quota in validate: must come last (a later denial would leave the charge).
      new ResourceQuotaAdmission(this.reader, {
        get: (namespace, name) =>
          this.registry(this.coreKind("resourcequotas")).get(namespace, name),
        updateStatus: (quota) => this.writeQuotaStatus(quota),
      }),
    ]);
  }

  private security(): ClusterSecurity {
    if (!this.clusterSecurity) throw new Error("the API server has not started");
    return this.clusterSecurity;
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
    // Every resource's watch cache starts before the first request, as upstream's do:
    // a client that lists from the store and then watches from that revision finds
    // it inside the cache's window instead of getting 410 Gone.
    await Promise.all(
      kinds.kinds.filter((kind) => !kind.virtual).map((kind) => this.registry(kind).cache.start()),
    );
    const security = await buildClusterSecurity(
      this.reader,
      this.registry(this.coreKind("pods")).cache,
      this.options.auth,
    );
    this.clusterSecurity = security;
    const podStreams = await createPodStreams(this.options.ca, {
      getPod: (namespace, name) => this.registry(this.coreKind("pods")).get(namespace, name),
      getNode: (name) => this.registry(this.coreKind("nodes")).get("", name),
    });
    const reviews = reviewActions({
      authorizer: security.authorizer,
      rulesFor: (user, namespace) => rulesFor(this.reader, user, namespace),
      reviewToken: (token, audiences) => security.reviewToken(token, audiences),
      requestToken: (context, name, request) => this.requestToken(context, name, request),
    });
    const eviction = evictionAction({ backend: this.evictionBackend() });
    const resources = new ResourceHandler({
      registry: (kind) => this.registry(kind),
      printTable: this.options.printTable,
      createAction: (kind, subresource) =>
        eviction(kind, subresource) ?? reviews(kind, subresource),
      connect: podStreams,
    });
    const app = createApiApp({
      kinds,
      resources,
      documents: this.options.documents,
      log,
      ready: () => this.isReady,
      security: security.security,
      audit: security.audit,
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
      security: security.security,
      audit: security.audit,
      podStreams,
    });
    this.port = await this.server.start();
    await this.bootstrap();
    const election = this.options.leaderElection;
    if (election) {
      // Upstream's shape (host_uuid) with the port, so people can tell local servers apart.
      const identity = `${election.identity}:${this.port}_${crypto.randomUUID().slice(0, 8)}`;
      this.elector = new LeaderElector({
        ...election,
        identity,
        log: log.child("leader"),
        onStartedLeading: (term) => this.startLeaderLoops(term, identity),
        onStoppedLeading: () => this.stopLeaderLoops(),
      });
      this.fatal = this.elector.start();
    } else {
      const term: LeaderTerm = {
        epoch: 1,
        isLeader: () => true,
        signal: new AbortController().signal,
      };
      await this.startLeaderLoops(term, "kubun");
    }
    this.isReady = true;
    return this.port;
  }

  replaceServingCertificate(certPem: string, keyPem: string): void {
    this.server?.replaceServingCertificate(certPem, keyPem);
  }

  /**
   * What only the leader runs: the controllers, the scheduler, the in-server sweeps
   * and the leader Lease. Everything writes through clients fenced by the term.
   */
  private async startLeaderLoops(term: LeaderTerm, identity: string): Promise<void> {
    const { kinds, log } = this.options;
    const namespaceFinalizer = new NamespaceFinalizer(
      kinds,
      (kind) => this.registry(kind),
      log.child("namespaces"),
      term.isLeader,
    );
    const garbageCollector = new GarbageCollector(
      kinds,
      (kind) => this.registry(kind),
      log.child("gc"),
      term.isLeader,
    );
    const quotaRecount = new QuotaRecount(
      this.reader,
      (quota) => this.writeQuotaStatus(quota),
      log.child("quota"),
      term.isLeader,
    );
    const enabled = this.options.controllers?.enabled ?? (() => true);
    if (enabled("namespace")) namespaceFinalizer.start();
    if (enabled("garbagecollector")) garbageCollector.start();
    if (enabled("resourcequota")) quotaRecount.start();
    const controllers = await this.startControllers(term);
    const scheduler = await this.startScheduler(term);
    const lease = publishLeaderLease({
      client: await this.componentClient("system:kube-controller-manager", term),
      identity,
      term,
      leaseDurationSeconds: Math.ceil((this.options.leaderElection?.staleAfterMs ?? 3000) / 1000),
      log: log.child("leader"),
    });
    this.leaderLoops = {
      async stop() {
        lease.stop();
        await scheduler.stop();
        await controllers.stop();
        quotaRecount.stop();
        namespaceFinalizer.stop();
        garbageCollector.stop();
      },
    };
  }

  private async stopLeaderLoops(): Promise<void> {
    const loops = this.leaderLoops;
    this.leaderLoops = null;
    await loops?.stop();
  }

  /**
   * The controller manager, as its own user (RBAC's system:kube-controller-manager)
   * over HTTPS to this server, with a client certificate issued in memory.
   */
  private async startControllers(term: LeaderTerm): Promise<RunningControllers> {
    const { ca } = this.options;
    return startControllers({
      client: await this.componentClient("system:kube-controller-manager", term),
      ca,
      serverUrl: `https://${this.options.advertiseAddress}:${this.port}`,
      caPem: ca.certPem,
      clusterSigningDurationSeconds: this.options.auth.clusterSigningDurationSeconds,
      nodeMonitorGracePeriodSeconds: this.options.nodeMonitor?.gracePeriodSeconds,
      nodeMonitorPeriodSeconds: this.options.nodeMonitor?.periodSeconds,
      enabled: this.options.controllers?.enabled,
      terminatedPodGcThreshold: this.options.controllers?.terminatedPodGcThreshold,
      localStoragePath: this.options.controllers?.localStoragePath,
      issueLegacyToken: (namespace, serviceAccount, secret) =>
        this.security().serviceAccountTokens.issueLegacy(namespace, serviceAccount, secret),
      log: this.options.log.child("controllers"),
    });
  }

  /**
   * The client of an in-process leader-only component, as `user` with a certificate
   * issued in memory; its writes fail once `term` is over.
   */
  private async componentClient(user: string, term: LeaderTerm): Promise<ApiClient> {
    const { ca, host } = this.options;
    const issued = await ca.issue({ commonName: user, usages: ["clientAuth"], validityDays: 3650 });
    const local = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
    const url = `https://${local.includes(":") ? `[${local}]` : local}:${this.port}`;
    return new FencedApiClient(
      { server: url, ca: ca.certPem, cert: issued.certPem, key: issued.keyPem ?? "" },
      term.isLeader,
    );
  }

  /**
   * The scheduler, as its own user (RBAC's system:kube-scheduler) over HTTPS to this
   * server; readiness does not wait for its caches.
   */
  private async startScheduler(term: LeaderTerm): Promise<Scheduler> {
    const log = this.options.log.child("scheduler");
    const scheduler = new Scheduler({
      client: await this.componentClient("system:kube-scheduler", term),
      log,
      config: this.options.schedulerConfig,
    });
    void scheduler.start().then(() => log.info("scheduler started"));
    return scheduler;
  }

  private writeQuotaStatus(quota: KubeObject): Promise<KubeObject> {
    return this.registry(this.coreKind("resourcequotas")).update(
      systemContext(quota.metadata?.namespace ?? ""),
      quota.metadata?.name ?? "",
      quota,
      { dryRun: false, subresource: "status" },
    );
  }

  async stop(): Promise<void> {
    if (this.elector) await this.elector.stop();
    else await this.stopLeaderLoops();
    await this.server?.stop();
    await this.clusterSecurity?.stop();
    for (const registry of this.registries.values()) registry.cache.stop();
  }

  private evictionBackend() {
    const budgets = this.options.kinds.resource("policy", "v1", "poddisruptionbudgets");
    if (!budgets) throw new Error("policy kinds missing from the kind registry");
    return registryEvictionBackend({
      pods: this.registry(this.coreKind("pods")),
      budgets: this.registry(budgets),
      admission: this.admission,
    });
  }

  private coreKind(resource: string): KindDefinition {
    const kind = this.options.kinds.resource("", "v1", resource);
    if (!kind) throw new Error(`core kind ${resource} missing from the kind registry`);
    return kind;
  }

  /** The ServiceAccount admission plugin's fallback: a namespace's default account, now. */
  private async ensureDefaultServiceAccount(namespace: string): Promise<void> {
    try {
      await this.registry(this.coreKind("serviceaccounts")).create(
        systemContext(namespace),
        { metadata: { name: "default" } },
        { dryRun: false },
      );
    } catch (error) {
      if (!(error instanceof StatusError && error.code === 409)) throw error;
    }
  }

  /**
   * serviceaccounts/<name>/token (TokenRequest, \`kubectl create token\`): a
   * signed token for an existing account, optionally bound to a pod, secret or
   * node that must exist with the given uid.
   */
  private async requestToken(
    context: RequestContext,
    name: string,
    request: KubeObject,
  ): Promise<KubeObject> {
    const serviceAccounts = this.coreKind("serviceaccounts");
    const account = await this.registry(serviceAccounts).get(context.namespace, name);
    const spec = (request.spec ?? {}) as TokenRequestSpec;
    const expirationSeconds = spec.expirationSeconds ?? 3600;
    const path = fieldPath("spec");
    if (!Number.isInteger(expirationSeconds) || expirationSeconds < 600) {
      throw invalid("TokenRequest", "authentication.k8s.io", name, [
        invalidField(
          path.child("expirationSeconds"),
          expirationSeconds,
          "may not specify a duration less than 10 minutes",
        ),
      ]);
    }
    if (expirationSeconds > 2 ** 32) {
      throw invalid("TokenRequest", "authentication.k8s.io", name, [
        invalidField(
          path.child("expirationSeconds"),
          expirationSeconds,
          "may not specify a duration larger than 2^32 seconds",
        ),
      ]);
    }
    await this.admission.validate({
      operation: "CREATE",
      kind: serviceAccounts,
      object: request,
      oldObject: null,
      context,
      subresource: "token",
    });
    const bound = spec.boundObjectRef
      ? this.boundObject(context.namespace, spec.boundObjectRef)
      : undefined;
    const audiences = spec.audiences?.length ? spec.audiences : undefined;
    const issued = await this.security().serviceAccountTokens.issue({
      namespace: context.namespace,
      serviceAccount: { name, uid: account.metadata?.uid ?? "" },
      expirationSeconds,
      ...(audiences ? { audiences } : {}),
      ...(bound?.object ? { boundObject: bound.object } : {}),
      ...(bound?.node ? { node: bound.node } : {}),
    });
    return {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name, namespace: context.namespace, creationTimestamp: null },
      spec: {
        audiences: audiences ?? this.security().serviceAccountTokens.apiAudiences,
        expirationSeconds,
        boundObjectRef: spec.boundObjectRef ?? null,
      },
      status: issued,
    };
  }

  private boundObject(namespace: string, ref: NonNullable<TokenRequestSpec["boundObjectRef"]>) {
    const resources = { Pod: "pods", Secret: "secrets", Node: "nodes" } as const;
    const kind = ref.kind as keyof typeof resources;
    const resource = resources[kind];
    if (!resource) {
      throw invalid("TokenRequest", "authentication.k8s.io", "", [
        notSupportedField(
          fieldPath("spec", "boundObjectRef", "kind"),
          ref.kind,
          Object.keys(resources),
        ),
      ]);
    }
    const object = this.reader.get({ group: "", resource }, namespace, ref.name ?? "");
    if (!object) throw notFound({ group: "", resource, name: ref.name ?? "" });
    const uid = object.metadata?.uid ?? "";
    if (ref.uid && ref.uid !== uid) {
      throw conflict(
        { group: "", resource, name: ref.name ?? "" },
        `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      );
    }
    const nodeName =
      kind === "Pod" ? (object.spec as { nodeName?: string } | undefined)?.nodeName : undefined;
    const node = nodeName
      ? this.reader.get({ group: "", resource: "nodes" }, "", nodeName)
      : undefined;
    return {
      object: { kind, name: ref.name ?? "", uid },
      node: node ? { name: nodeName ?? "", uid: node.metadata?.uid ?? "" } : undefined,
    };
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
    await this.ensureDefaultPolicy();
    const priorityClasses = this.options.kinds.resource(
      "scheduling.k8s.io",
      "v1",
      "priorityclasses",
    );
    if (!priorityClasses) throw new Error("scheduling kinds missing from the kind registry");
    for (const priorityClass of builtinPriorityClasses()) {
      await this.ensure(priorityClasses, "", priorityClass);
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

  /** The default RBAC roles and bindings (kept as found: an administrator may have changed them). */
  private async ensureDefaultPolicy(): Promise<void> {
    const rbac = (resource: string) => {
      const kind = this.options.kinds.resource("rbac.authorization.k8s.io", "v1", resource);
      if (!kind) throw new Error(`rbac kind ${resource} missing from the kind registry`);
      return kind;
    };
    const sets: [KindDefinition, KubeObject[]][] = [
      [rbac("clusterroles"), defaultClusterRoles()],
      [rbac("clusterrolebindings"), defaultClusterRoleBindings()],
      [rbac("roles"), defaultRoles()],
      [rbac("rolebindings"), defaultRoleBindings()],
    ];
    for (const [kind, objects] of sets) {
      await Promise.all(
        objects.map((object) => this.ensure(kind, object.metadata?.namespace ?? "", object)),
      );
    }
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
      // Another server of the trio is creating the kubernetes Service and took its IP
      // first: its create wins once it lands (allocation comes just before it).
      if (error instanceof StatusError && error.code === 422 && kind.resource === "services") {
        for (let attempt = 0; attempt < 50; attempt++) {
          const created = await registry
            .get(namespace, object.metadata?.name ?? "")
            .then(() => true)
            .catch(() => false);
          if (created) return;
          await Bun.sleep(100);
        }
      }
      if (error instanceof StatusError && error.code === 422 && kind.resource === "endpoints") {
        this.options.log.warn("not publishing the kubernetes endpoints", { reason: error.message });
        return;
      }
      throw error;
    }
  }
}
