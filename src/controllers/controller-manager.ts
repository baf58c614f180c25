/**
 * The controllers that run inside the server process (kube-controller-manager's role):
 * each talks to the API only through the client it is given, and controllers that watch
 * the same collection share one informer.
 */
import type { ApiClient } from "../client/api-client.ts";
import type { Logger } from "../log/logger.ts";
import type { CertificateAuthority } from "../tls/certificate-authority.ts";
import { BootstrapSigner } from "./bootstrap-signer.ts";
import { ClusterRoleAggregation } from "./cluster-role-aggregation.ts";
import type { ControllerLoop } from "./controller.ts";
import { CONTROLLER_NAMES } from "./controller-selection.ts";
import { CronJobController } from "./cron-job.ts";
import { CsrApprovingController } from "./csr-approving.ts";
import { CsrSigningController } from "./csr-signing.ts";
import { DaemonSetController } from "./daemon-set.ts";
import { DeploymentController } from "./deployment.ts";
import { DisruptionController } from "./disruption.ts";
import { EndpointSliceController } from "./endpoint-slice.ts";
import { EndpointsController } from "./endpoints.ts";
import { JobController } from "./job.ts";
import { LocalPathProvisioner } from "./local-path-provisioner.ts";
import { NodeLifecycleController } from "./node-lifecycle.ts";
import { PersistentVolumeBinder } from "./persistent-volume-binder.ts";
import { PodGcController } from "./pod-gc.ts";
import { REPLICATION_CONTROLLERS, ReplicaSetController } from "./replica-set.ts";
import { RootCaPublisher } from "./root-ca-publisher.ts";
import { ServiceAccountController } from "./service-account.ts";
import {
  type IssueLegacyToken,
  ServiceAccountTokenSecrets,
} from "./service-account-token-secrets.ts";
import { SharedInformers } from "./shared-informers.ts";
import { StatefulSetController } from "./stateful-set.ts";
import { TaintEvictionController } from "./taint-eviction.ts";
import { TokenCleaner } from "./token-cleaner.ts";
import { TtlAfterFinishedController } from "./ttl-after-finished.ts";

export interface ControllerManagerOptions {
  /** Credentials of the controller manager's own identity (RBAC decides what it may do). */
  client: ApiClient;
  /** Signs approved CSRs for the kubelet and kube-apiserver client signers. */
  ca: CertificateAuthority;
  /** The API server URL published in cluster-info for joining nodes. */
  serverUrl: string;
  /** The CA bundle published in cluster-info and every namespace's kube-root-ca.crt. */
  caPem: string;
  /** Longest certificate the CSR signer issues; defaults to one year. */
  clusterSigningDurationSeconds?: number;
  /**
   * Signs legacy tokens for kubernetes.io/service-account-token Secrets; without it the
   * service-account-token controller does not run (it needs the server's signing key).
   */
  issueLegacyToken?: IssueLegacyToken;
  /** Where the local-path provisioner keeps volumes on each node (default /var/lib/kubun/storage). */
  localStoragePath?: string | undefined;
  /** How long a node may go without a heartbeat before it is lost (default 40 s). */
  nodeMonitorGracePeriodSeconds?: number | undefined;
  /** How often node health is checked (default 5 s). */
  nodeMonitorPeriodSeconds?: number | undefined;
  /** Which controllers run (see controller-selection.ts); all when absent. */
  enabled?: (name: string) => boolean;
  /** Terminated pods kept before the pod garbage collector deletes the oldest (default 12500; 0: all). */
  terminatedPodGcThreshold?: number | undefined;
  log: Logger;
}

export interface RunningControllers {
  /** Resolves once every informer holds its first complete list and the workers run. */
  synced: Promise<void>;
  /** Stops the workers (in-flight syncs finish, queued keys are dropped), then the watches. */
  stop(): Promise<void>;
}

/**
 * Starts every controller: the informers list and watch at once, the workers start
 * once all informers hold their first complete list (`synced`), however long that
 * takes (the informers retry an unreachable or refusing API server with back-off).
 * Throws at once on bad configuration.
 */
export function startControllers(options: ControllerManagerOptions): RunningControllers {
  const { client, log } = options;
  const informers = new SharedInformers(client, log.child("informers"));
  const shared = (name: string) => ({ client, informers, log: log.child(name) });
  // Upstream's controller names (kube-controller-manager --controllers), plus kubun's own.
  const factories: Record<string, () => { loop: ControllerLoop }> = {
    csrapproving: () => new CsrApprovingController(shared("csrapproving")),
    csrsigning: () =>
      new CsrSigningController({
        ...shared("csrsigning"),
        ca: options.ca,
        clusterSigningDurationSeconds: options.clusterSigningDurationSeconds,
      }),
    bootstrapsigner: () =>
      new BootstrapSigner({
        ...shared("bootstrapsigner"),
        serverUrl: options.serverUrl,
        caPem: options.caPem,
      }),
    "clusterrole-aggregation": () => new ClusterRoleAggregation(shared("clusterrole-aggregation")),
    tokencleaner: () => new TokenCleaner(shared("tokencleaner")),
    serviceaccount: () => new ServiceAccountController(shared("serviceaccount")),
    "root-ca-cert-publisher": () =>
      new RootCaPublisher({ ...shared("root-ca-cert-publisher"), caPem: options.caPem }),
    daemonset: () => new DaemonSetController(shared("daemonset")),
    statefulset: () => new StatefulSetController(shared("statefulset")),
    "persistentvolume-binder": () => new PersistentVolumeBinder(shared("persistentvolume-binder")),
    "local-path-provisioner": () =>
      new LocalPathProvisioner({
        ...shared("local-path-provisioner"),
        root: options.localStoragePath,
      }),
    replicaset: () => new ReplicaSetController(shared("replicaset")),
    replicationcontroller: () =>
      new ReplicaSetController({
        ...shared("replicationcontroller"),
        kind: REPLICATION_CONTROLLERS,
      }),
    deployment: () => new DeploymentController(shared("deployment")),
    "node-lifecycle-controller": () =>
      new NodeLifecycleController({
        ...shared("node-lifecycle"),
        ...(options.nodeMonitorGracePeriodSeconds !== undefined
          ? { gracePeriodMs: options.nodeMonitorGracePeriodSeconds * 1000 }
          : {}),
        ...(options.nodeMonitorPeriodSeconds !== undefined
          ? { monitorPeriodMs: options.nodeMonitorPeriodSeconds * 1000 }
          : {}),
      }),
    "taint-eviction-controller": () => new TaintEvictionController(shared("taint-eviction")),
    disruption: () => new DisruptionController(shared("disruption")),
    endpoint: () => new EndpointsController(shared("endpoint")),
    endpointslice: () => new EndpointSliceController(shared("endpointslice")),
    job: () => new JobController(shared("job")),
    cronjob: () => new CronJobController(shared("cronjob")),
    "ttl-after-finished": () => new TtlAfterFinishedController(shared("ttl-after-finished")),
    podgc: () =>
      new PodGcController({
        ...shared("podgc"),
        ...(options.terminatedPodGcThreshold !== undefined
          ? { terminatedPodThreshold: options.terminatedPodGcThreshold }
          : {}),
      }),
  };
  const issueLegacyToken = options.issueLegacyToken;
  if (issueLegacyToken) {
    factories["serviceaccount-token"] = () =>
      new ServiceAccountTokenSecrets({
        ...shared("serviceaccount-token"),
        issueLegacyToken,
        caPem: options.caPem,
      });
  }
  const enabled = options.enabled ?? (() => true);
  for (const name of Object.keys(factories)) {
    if (!(CONTROLLER_NAMES as readonly string[]).includes(name)) {
      throw new Error(`controller ${name} is missing from CONTROLLER_NAMES`);
    }
  }
  const controllers: Record<string, { loop: ControllerLoop }> = {};
  for (const [name, create] of Object.entries(factories)) {
    if (enabled(name)) controllers[name] = create();
  }
  informers.start();
  let stopped = false;
  const synced = informers.waitForSync().then(() => {
    if (stopped) return;
    for (const controller of Object.values(controllers)) controller.loop.start();
    log.info("controllers started", { controllers: Object.keys(controllers).join(",") });
  });
  return {
    synced,
    async stop() {
      stopped = true;
      await Promise.all(Object.values(controllers).map((controller) => controller.loop.stop()));
      await informers.stop();
      log.info("controllers stopped");
    },
  };
}
