/**
 * The volumes whose content the agent writes (configMap, secret, downwardAPI,
 * projected): which plugin a volume is, and the files it should hold now.
 */
import type { KubeObject } from "../../resources/kind.ts";
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
import { type ProjectionContext, projectedPayload } from "./projected.ts";
import { DEFAULT_FILE_MODE, type Volume } from "./volume-types.ts";

export type ContentPlugin = "configMap" | "secret" | "downwardAPI" | "projected";

const contentPlugins: readonly ContentPlugin[] = [
  "configMap",
  "secret",
  "downwardAPI",
  "projected",
];

/** Kept off disk, as the kubelet does (they hold credentials). */
export const memoryBackedPlugins: ReadonlySet<ContentPlugin> = new Set(["secret", "projected"]);

export function contentPluginOf(volume: Volume): ContentPlugin | undefined {
  return contentPlugins.find((plugin) => volume[plugin] !== undefined);
}

/** The files `volume` should hold for `pod`; throws the kubelet's message when it cannot. */
export async function contentPayload(
  pod: KubeObject,
  volume: Volume,
  context: ProjectionContext,
): Promise<Payload> {
  const { client, nodeAllocatable } = context;
  const namespace = pod.metadata?.namespace ?? "default";
  if (volume.configMap) {
    const {
      name = "",
      items,
      defaultMode = DEFAULT_FILE_MODE,
      optional = false,
    } = volume.configMap;
    const configMap = await getConfigMap(client, namespace, name);
    if (!configMap && !optional) throw new Error(configMapNotFound(name));
    return keyPayload(configMapContents(configMap), items, defaultMode, optional, "configmap");
  }
  if (volume.secret) {
    const {
      secretName = "",
      items,
      defaultMode = DEFAULT_FILE_MODE,
      optional = false,
    } = volume.secret;
    const secret = await getSecret(client, namespace, secretName);
    if (!secret && !optional) throw new Error(secretNotFound(secretName));
    return keyPayload(secretContents(secret), items, defaultMode, optional, "secret");
  }
  if (volume.downwardAPI) {
    const { items, defaultMode = DEFAULT_FILE_MODE } = volume.downwardAPI;
    return downwardApiPayload(items, pod, defaultMode, nodeAllocatable);
  }
  if (volume.projected) return projectedPayload(volume.projected, pod, context);
  throw new Error(`volume "${volume.name}" has no content source`);
}
