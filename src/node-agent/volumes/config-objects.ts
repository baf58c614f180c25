/**
 * Reading the ConfigMaps and Secrets a pod refers to (for volumes and env).
 * Plain GETs for now; a watch-based cache (the kubelet's default
 * configMapAndSecretChangeDetectionStrategy) would save the API server the
 * periodic reads and is a later optimisation.
 */
import type { ResourceClient } from "../../client/api-client.ts";
import { isNotFound } from "../../client/api-error.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { KubeObject } from "../../resources/kind.ts";

export interface ConfigMapObject extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface SecretObject extends KubeObject {
  /** Base64, as on the wire. */
  data?: Record<string, string>;
}

/** The kubelet's messages (its object managers name the kind in the singular). */
export const configMapNotFound = (name: string) => `configmap "${name}" not found`;
export const secretNotFound = (name: string) => `secret "${name}" not found`;

/** The ConfigMap, or null when it does not exist; other failures are thrown. */
export function getConfigMap(
  client: ResourceClient,
  namespace: string,
  name: string,
): Promise<ConfigMapObject | null> {
  return getOrNull<ConfigMapObject>(client, "configmaps", namespace, name);
}

export function getSecret(
  client: ResourceClient,
  namespace: string,
  name: string,
): Promise<SecretObject | null> {
  return getOrNull<SecretObject>(client, "secrets", namespace, name);
}

async function getOrNull<T extends KubeObject>(
  client: ResourceClient,
  resource: string,
  namespace: string,
  name: string,
): Promise<T | null> {
  try {
    return await client.get<T>(resourcePath({ version: "v1", resource, namespace, name }));
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** A ConfigMap's keys as file contents: `data` as UTF-8, `binaryData` decoded. */
export function configMapContents(configMap: ConfigMapObject | null): Map<string, Uint8Array> {
  const contents = new Map<string, Uint8Array>();
  const encoder = new TextEncoder();
  for (const [key, value] of Object.entries(configMap?.data ?? {})) {
    contents.set(key, encoder.encode(value));
  }
  for (const [key, value] of Object.entries(configMap?.binaryData ?? {})) {
    contents.set(key, Buffer.from(value, "base64"));
  }
  return contents;
}

export function secretContents(secret: SecretObject | null): Map<string, Uint8Array> {
  const contents = new Map<string, Uint8Array>();
  for (const [key, value] of Object.entries(secret?.data ?? {})) {
    contents.set(key, Buffer.from(value, "base64"));
  }
  return contents;
}
