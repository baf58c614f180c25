/**
 * Projected volumes: several sources (service account token, configMap,
 * secret, downwardAPI) merged into one directory. Like the kubelet, every
 * failing source is reported and nothing is written while any fails.
 */
import type { ResourceClient } from "../../client/api-client.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { ResourceList } from "../env/resource-fields.ts";
import type { Payload } from "./atomic-writer.ts";
import {
  configMapContents,
  configMapNotFound,
  getConfigMap,
  getSecret,
  secretContents,
  secretNotFound,
} from "./config-objects.ts";
import { downwardApiPayload } from "./downward-api.ts";
import { keyPayload } from "./key-payload.ts";
import type { ServiceAccountTokens } from "./service-account-tokens.ts";
import { DEFAULT_FILE_MODE, type ProjectedSource, type VolumeProjection } from "./volume-types.ts";

export interface ProjectionContext {
  client: ResourceClient;
  tokens: ServiceAccountTokens;
  nodeAllocatable: ResourceList;
}

export async function projectedPayload(
  source: ProjectedSource,
  pod: KubeObject,
  context: ProjectionContext,
): Promise<Payload> {
  const defaultMode = source.defaultMode ?? DEFAULT_FILE_MODE;
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const projection of source.sources ?? []) {
    try {
      const part = await projectionPayload(projection, pod, defaultMode, context);
      for (const [path, file] of part) payload.set(path, file);
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  if (errors.length === 1) throw new Error(errors[0]);
  if (errors.length > 1) throw new Error(`[${errors.join(", ")}]`);
  return payload;
}

async function projectionPayload(
  projection: VolumeProjection,
  pod: KubeObject,
  defaultMode: number,
  context: ProjectionContext,
): Promise<Payload> {
  const namespace = pod.metadata?.namespace ?? "default";
  if (projection.serviceAccountToken) {
    const token = await context.tokens.get(pod, projection.serviceAccountToken);
    const data = new TextEncoder().encode(token);
    return new Map([[projection.serviceAccountToken.path, { data, mode: defaultMode }]]);
  }
  if (projection.configMap) {
    const { name = "", items, optional = false } = projection.configMap;
    const configMap = await getConfigMap(context.client, namespace, name);
    if (!configMap && !optional) throw new Error(configMapNotFound(name));
    return keyPayload(configMapContents(configMap), items, defaultMode, optional, "configmap");
  }
  if (projection.secret) {
    const { name = "", items, optional = false } = projection.secret;
    const secret = await getSecret(context.client, namespace, name);
    if (!secret && !optional) throw new Error(secretNotFound(name));
    return keyPayload(secretContents(secret), items, defaultMode, optional, "secret");
  }
  if (projection.downwardAPI) {
    return downwardApiPayload(
      projection.downwardAPI.items,
      pod,
      defaultMode,
      context.nodeAllocatable,
    );
  }
  // clusterTrustBundle and podCertificate need API kinds this cluster does not serve.
  const kind = Object.keys(projection)[0] ?? "unknown";
  throw new Error(`projected volume source "${kind}" is not supported by this node`);
}
