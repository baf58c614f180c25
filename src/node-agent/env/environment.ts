/**
 * A container's environment, resolved the way the kubelet does before it
 * starts the container: `envFrom` first, then `env` in order (each `value`
 * expanded against what is defined so far and the service variables; each
 * `valueFrom` read from its source), then the service variables the container
 * has not defined itself. Explicit env overrides envFrom overrides services.
 */
import type { ResourceClient } from "../../client/api-client.ts";
import { isNotFound } from "../../client/api-error.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { Logger } from "../../log/logger.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { isRelaxedEnvVarName } from "../../resources/kinds/core/config-map-key.ts";
import {
  type EnvFromSource,
  type EnvVar,
  envFromEntries,
  keyRefValue,
  SourceCache,
} from "./env-sources.ts";
import { expand, mappingFor } from "./expansion.ts";
import { podFieldValue } from "./pod-fields.ts";
import {
  type ContainerResources,
  containerResourceValue,
  type ResourceList,
} from "./resource-fields.ts";
import { serviceEnvironment } from "./service-env.ts";

export interface EnvContainer extends ContainerResources {
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
}

export interface EnvironmentOptions {
  client: ResourceClient;
  /**
   * The cluster's Services (any namespace; an informer's cache). When absent
   * they are read from the API: the pod's namespace and `default/kubernetes`.
   */
  services?: readonly KubeObject[];
  hostIp: string;
  podIp: string;
  hostIps?: string[];
  podIps?: string[];
  /** What unset limits read as in `resourceFieldRef` (the Node's status.allocatable). */
  nodeAllocatable?: ResourceList;
  log?: Logger;
}

export async function resolveEnvironment(
  pod: KubeObject,
  container: EnvContainer,
  options: EnvironmentOptions,
): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? "default";
  const links = (pod.spec as { enableServiceLinks?: boolean } | undefined)?.enableServiceLinks;
  const services = options.services ?? (await readServices(options.client, namespace, links));
  const serviceEnv = serviceEnvironment(services, namespace, links !== false);
  const sources = new SourceCache(options.client, namespace);
  const env = new Map<string, string>();

  for (const from of container.envFrom ?? []) {
    const entries = await envFromEntries(from, sources);
    if (!entries) continue;
    const invalid: string[] = [];
    for (const [key, value] of entries) {
      const name = (from.prefix ?? "") + key;
      if (isRelaxedEnvVarName(name).length > 0) invalid.push(name);
      else env.set(name, value);
    }
    if (invalid.length > 0) {
      options.log?.warn("skipped keys that are not valid environment variable names", {
        pod: `${namespace}/${pod.metadata?.name ?? ""}`,
        keys: invalid.sort().join(","),
      });
    }
  }

  const mapping = mappingFor(env, serviceEnv);
  const ips = {
    hostIp: options.hostIp,
    podIp: options.podIp,
    ...(options.hostIps ? { hostIps: options.hostIps } : {}),
    ...(options.podIps ? { podIps: options.podIps } : {}),
  };
  for (const variable of container.env ?? []) {
    let value = variable.value ?? "";
    if (value !== "") value = expand(value, mapping);
    else if (variable.valueFrom) {
      const from = variable.valueFrom;
      if (from.fieldRef) value = podFieldValue(pod, from.fieldRef.fieldPath ?? "", ips);
      else if (from.resourceFieldRef) {
        value = containerResourceValue(
          from.resourceFieldRef,
          pod,
          container,
          options.nodeAllocatable,
        );
      } else {
        const resolved = await keyRefValue(from.configMapKeyRef, from.secretKeyRef, sources);
        // An optional source or key that is missing leaves the variable out.
        if (resolved === undefined) continue;
        value = resolved;
      }
    }
    env.set(variable.name, value);
  }

  const result: Record<string, string> = Object.fromEntries(env);
  for (const [key, value] of serviceEnv) {
    if (!env.has(key)) result[key] = value;
  }
  return result;
}

async function readServices(
  client: ResourceClient,
  namespace: string,
  links: boolean | undefined,
): Promise<KubeObject[]> {
  const services: KubeObject[] = [];
  if (links !== false) {
    const list = await client.list(
      resourcePath({ version: "v1", resource: "services", namespace }),
    );
    services.push(...list.items.map((item) => withNamespace(item, namespace)));
  }
  if (links === false || namespace !== "default") {
    try {
      const path = resourcePath({
        version: "v1",
        resource: "services",
        namespace: "default",
        name: "kubernetes",
      });
      services.push(withNamespace(await client.get(path), "default"));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return services;
}

// List items normally carry their namespace; make sure, since selection depends on it.
function withNamespace(service: KubeObject, namespace: string): KubeObject {
  return { ...service, metadata: { ...service.metadata, namespace } };
}
