/**
 * Where env values come from besides the spec: ConfigMaps and Secrets
 * (`envFrom`, `configMapKeyRef`, `secretKeyRef`), read once per resolution and
 * with the kubelet's messages for what is missing.
 */
import type { ResourceClient } from "../../client/api-client.ts";
import {
  type ConfigMapObject,
  configMapNotFound,
  getConfigMap,
  getSecret,
  type SecretObject,
  secretNotFound,
} from "../volumes/config-objects.ts";
import type { ResourceFieldSelector } from "./resource-fields.ts";

export interface KeySelector {
  name?: string;
  key?: string;
  optional?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath?: string };
    resourceFieldRef?: ResourceFieldSelector;
    configMapKeyRef?: KeySelector;
    secretKeyRef?: KeySelector;
  };
}

export interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name?: string; optional?: boolean };
  secretRef?: { name?: string; optional?: boolean };
}

/** envFrom's key/value pairs, or undefined when an optional source is missing. */
export async function envFromEntries(
  from: EnvFromSource,
  sources: SourceCache,
): Promise<[string, string][] | undefined> {
  if (from.configMapRef) {
    const name = from.configMapRef.name ?? "";
    const configMap = await sources.configMap(name);
    if (!configMap) {
      if (from.configMapRef.optional) return undefined;
      throw new Error(configMapNotFound(name));
    }
    return Object.entries(configMap.data ?? {});
  }
  if (from.secretRef) {
    const name = from.secretRef.name ?? "";
    const secret = await sources.secret(name);
    if (!secret) {
      if (from.secretRef.optional) return undefined;
      throw new Error(secretNotFound(name));
    }
    return Object.entries(secret.data ?? {}).map(([key, value]) => [key, decodeBase64(value)]);
  }
  return [];
}

/** A `configMapKeyRef` / `secretKeyRef` value, or undefined when optional and missing. */
export async function keyRefValue(
  configMapRef: KeySelector | undefined,
  secretRef: KeySelector | undefined,
  sources: SourceCache,
): Promise<string | undefined> {
  if (configMapRef) {
    const { name = "", key = "", optional = false } = configMapRef;
    const configMap = await sources.configMap(name);
    if (!configMap) {
      if (optional) return undefined;
      throw new Error(configMapNotFound(name));
    }
    const value = configMap.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new Error(`couldn't find key ${key} in ConfigMap ${sources.namespace}/${name}`);
    }
    return value;
  }
  if (secretRef) {
    const { name = "", key = "", optional = false } = secretRef;
    const secret = await sources.secret(name);
    if (!secret) {
      if (optional) return undefined;
      throw new Error(secretNotFound(name));
    }
    const value = secret.data?.[key];
    if (value === undefined) {
      if (optional) return undefined;
      throw new Error(`couldn't find key ${key} in Secret ${sources.namespace}/${name}`);
    }
    return decodeBase64(value);
  }
  return "";
}

export function decodeBase64(value: string): string {
  return Buffer.from(value, "base64").toString("utf8");
}

/** Each ConfigMap and Secret read once per resolution, as the kubelet's local maps. */
export class SourceCache {
  readonly #configMaps = new Map<string, Promise<ConfigMapObject | null>>();
  readonly #secrets = new Map<string, Promise<SecretObject | null>>();

  constructor(
    private readonly client: ResourceClient,
    readonly namespace: string,
  ) {}

  configMap(name: string): Promise<ConfigMapObject | null> {
    let cached = this.#configMaps.get(name);
    if (!cached) {
      cached = getConfigMap(this.client, this.namespace, name);
      this.#configMaps.set(name, cached);
    }
    return cached;
  }

  secret(name: string): Promise<SecretObject | null> {
    let cached = this.#secrets.get(name);
    if (!cached) {
      cached = getSecret(this.client, this.namespace, name);
      this.#secrets.set(name, cached);
    }
    return cached;
  }
}
