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
  const controllers: Record<string, { loop: ControllerLoop }> = {
    "csr-approving": new CsrApprovingController({
      client,
      informers,
      log: log.child("csr-approving"),
    }),
    "csr-signing": new CsrSigningController({
      client,
      informers,
      ca: options.ca,
      clusterSigningDurationSeconds: options.clusterSigningDurationSeconds,
      log: log.child("csr-signing"),
    }),
    "bootstrap-signer": new BootstrapSigner({
      client,
      informers,
      serverUrl: options.serverUrl,
      caPem: options.caPem,
      log: log.child("bootstrap-signer"),
    }),
    "clusterrole-aggregation": new ClusterRoleAggregation({
      client,
      informers,
      log: log.child("clusterrole-aggregation"),
    }),
    "token-cleaner": new TokenCleaner({ client, informers, log: log.child("token-cleaner") }),
    "service-account": new ServiceAccountController({
      client,
      informers,
      log: log.child("service-account"),
    }),
    "root-ca-publisher": new RootCaPublisher({
      client,
      informers,
      caPem: options.caPem,
      log: log.child("root-ca-publisher"),
    }),
    daemonset: new DaemonSetController({ client, informers, log: log.child("daemonset") }),
    statefulset: new StatefulSetController({ client, informers, log: log.child("statefulset") }),
    "persistentvolume-binder": new PersistentVolumeBinder({
      client,
      informers,
      log: log.child("persistentvolume-binder"),
    }),
    "local-path-provisioner": new LocalPathProvisioner({
      client,
      informers,
      root: options.localStoragePath,
      log: log.child("local-path-provisioner"),
    }),
    replicaset: new ReplicaSetController({ client, informers, log: log.child("replicaset") }),
    replicationcontroller: new ReplicaSetController({
      client,
      informers,
      kind: REPLICATION_CONTROLLERS,
      log: log.child("replicationcontroller"),
    }),
    deployment: new DeploymentController({ client, informers, log: log.child("deployment") }),
    "node-lifecycle": new NodeLifecycleController({
      client,
      informers,
      log: log.child("node-lifecycle"),
      ...(options.nodeMonitorGracePeriodSeconds !== undefined
        ? { gracePeriodMs: options.nodeMonitorGracePeriodSeconds * 1000 }
        : {}),
      ...(options.nodeMonitorPeriodSeconds !== undefined
        ? { monitorPeriodMs: options.nodeMonitorPeriodSeconds * 1000 }
        : {}),
    }),
    "taint-eviction": new TaintEvictionController({
      client,
      informers,
      log: log.child("taint-eviction"),
    }),
    disruption: new DisruptionController({ client, informers, log: log.child("disruption") }),
    endpoint: new EndpointsController({ client, informers, log: log.child("endpoint") }),
    endpointslice: new EndpointSliceController({
      client,
      informers,
      log: log.child("endpointslice"),
    }),
    job: new JobController({ client, informers, log: log.child("job") }),
    cronjob: new CronJobController({ client, informers, log: log.child("cronjob") }),
    "ttl-after-finished": new TtlAfterFinishedController({
      client,
      informers,
      log: log.child("ttl-after-finished"),
    }),
    podgc: new PodGcController({
      client,
      informers,
      log: log.child("podgc"),
      ...(options.terminatedPodGcThreshold !== undefined
        ? { terminatedPodThreshold: options.terminatedPodGcThreshold }
        : {}),
    }),
  };
  if (options.issueLegacyToken) {
    controllers["serviceaccount-token"] = new ServiceAccountTokenSecrets({
      client,
      informers,
      issueLegacyToken: options.issueLegacyToken,
      caPem: options.caPem,
      log: log.child("serviceaccount-token"),
    });
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
