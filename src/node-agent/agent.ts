/**
 * The node agent, composed: the node identity (credentials, Node status,
 * Lease, serving certificate), the pods (volumes, environment, images, the
 * runtime, one worker per pod) and the HTTPS server the API server reaches for
 * logs, exec, attach and port-forward.
 */
import { join } from "node:path";
import { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { parseQuantity } from "../resources/quantity/quantity.ts";
import { resolveEnvironment } from "./env/environment.ts";
import { expandCommandAndArgs } from "./env/expansion.ts";
import { ImageCatalog } from "./images/image-catalog.ts";
import { type AgentCore, type AgentCoreOptions, startAgentCore } from "./node/agent-core.ts";
import { PodManager } from "./pods/pod-manager.ts";
import type { ContainerRuntime } from "./runtime/runtime.ts";
import { AgentServer } from "./server/agent-server.ts";
import { VolumeManager } from "./volumes/volume-manager.ts";

export interface NodeAgentOptions extends Omit<AgentCoreOptions, "runtime" | "log"> {
  runtime: ContainerRuntime;
  /** Address the HTTPS server listens on (default all). */
  bindAddress?: string;
  imageCatalog?: ImageCatalog;
  /** Directory of static pod manifests run on this node. */
  podManifestPath?: string;
  log: Logger;
}

export interface NodeAgent {
  core: AgentCore;
  pods: PodManager;
  server: AgentServer;
  stop(): Promise<void>;
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const { runtime, log } = options;
  const report = options.onProgress ?? (() => {});
  const core = await startAgentCore({
    ...options,
    runtime: { name: runtime.name, version: runtime.version, limitations: runtime.limitations },
    log: log.child("node"),
  });
  const podsDir = join(options.dataDir, "pods");
  const hostIp = core.addresses.find((a) => a.type === "InternalIP")?.address ?? "127.0.0.1";
  const allocatable = ((core.status.node?.status ?? {}) as { allocatable?: Record<string, string> })
    .allocatable;
  const volumes = new VolumeManager({
    podsDir,
    client: core.client,
    nodeName: core.nodeName,
    log: log.child("volumes"),
    ...(allocatable ? { nodeAllocatable: allocatable } : {}),
  });
  const services = new Informer(core.client, {
    path: resourcePath({ version: "v1", resource: "services" }),
  });
  services.start();
  const images = options.imageCatalog ?? new ImageCatalog();
  const pods = new PodManager({
    client: core.client,
    nodeName: core.nodeName,
    runtime,
    volumes,
    environment: (pod, container) =>
      resolveEnvironment(pod, container, {
        client: core.client,
        services: services.store.list(),
        hostIp,
        podIp: hostIp,
        ...(allocatable ? { nodeAllocatable: allocatable } : {}),
        log,
      }),
    argv: (container, env) => images.resolve(expandCommandAndArgs(container, env)),
    logPath: (pod: KubeObject, container, attempt) =>
      join(podsDir, pod.metadata?.uid ?? "", "logs", container, `${attempt}.log`),
    hostIp,
    capacity: capacityOf(allocatable, options.maxPods ?? 110),
    ...(options.podManifestPath ? { podManifestPath: options.podManifestPath } : {}),
    log: log.child("pods"),
  });
  await services.waitForSync();
  await pods.start();
  report("waiting for the serving certificate");
  const serving = await core.servingReady;
  log.info("serving certificate ready");
  const server = new AgentServer({
    host: options.bindAddress ?? "0.0.0.0",
    port: options.port,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    // The API server's client certificate must chain to the cluster CA the node trusts.
    caPem: core.credentials.caPem,
    locator: pods,
    log: log.child("server"),
    nodeName: core.nodeName,
  });
  await server.start();
  const offRotation = core.serving.onRotated((pair) =>
    server.replaceServingCertificate(pair.certPem, pair.keyPem),
  );
  return {
    core,
    pods,
    server,
    async stop() {
      offRotation();
      await server.stop();
      await pods.stop();
      await services.stop();
      await core.stop();
    },
  };
}

function capacityOf(allocatable: Record<string, string> | undefined, maxPods: number) {
  const quantity = (name: string, fallback: string) => {
    try {
      return parseQuantity(allocatable?.[name] ?? fallback);
    } catch {
      return parseQuantity(fallback);
    }
  };
  return {
    cpuMilli: quantity("cpu", "1").milliValue(),
    memoryBytes: Number(quantity("memory", "1Gi").value()),
    pods: Number(allocatable?.pods ?? maxPods),
  };
}
