/** Shared fixtures for the admission plugin tests: an in-memory reader and requests. */
import type { AdmissionOperation, AdmissionRequest } from "../../../src/api/admission/admission.ts";
import { StatusError } from "../../../src/api/errors/status-error.ts";
import type { ObjectReader, ResourceRef } from "../../../src/auth/types.ts";
import type { KindDefinition, KubeObject } from "../../../src/resources/kind.ts";
import { builtinKinds } from "../../../src/resources/kind-registry.ts";

const registry = builtinKinds();

export function kind(group: string, version: string, resource: string): KindDefinition {
  const found = registry.resource(group, version, resource);
  if (!found) throw new Error(`no kind ${group}/${version}/${resource}`);
  return found;
}

export const kinds = {
  pods: kind("", "v1", "pods"),
  services: kind("", "v1", "services"),
  configMaps: kind("", "v1", "configmaps"),
  claims: kind("", "v1", "persistentvolumeclaims"),
  namespaces: kind("", "v1", "namespaces"),
  events: kind("", "v1", "events"),
  deployments: kind("apps", "v1", "deployments"),
  priorityClasses: kind("scheduling.k8s.io", "v1", "priorityclasses"),
};

/** An ObjectReader over arrays of objects, keyed by group and resource. */
export class MemoryReader implements ObjectReader {
  private readonly objects = new Map<string, KubeObject[]>();

  add(ref: ResourceRef, ...objects: KubeObject[]): this {
    const key = `${ref.group}/${ref.resource}`;
    this.objects.set(key, [...(this.objects.get(key) ?? []), ...objects]);
    return this;
  }

  get(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined {
    return this.list(ref, namespace).find((o) => o.metadata?.name === name);
  }

  list(ref: ResourceRef, namespace?: string): readonly KubeObject[] {
    const all = this.objects.get(`${ref.group}/${ref.resource}`) ?? [];
    if (namespace === undefined) return all;
    return all.filter((o) => (o.metadata?.namespace ?? "") === namespace);
  }
}

export interface RequestOptions {
  operation?: AdmissionOperation;
  oldObject?: KubeObject;
  dryRun?: boolean;
  subresource?: string;
  namespace?: string;
}

export function request(
  kindDefinition: KindDefinition,
  object: KubeObject,
  options: RequestOptions = {},
): AdmissionRequest {
  const namespace = kindDefinition.namespaced
    ? (options.namespace ?? object.metadata?.namespace ?? "")
    : "";
  return {
    operation: options.operation ?? "CREATE",
    kind: kindDefinition,
    object,
    oldObject: options.oldObject ?? null,
    context: { user: "alice", groups: [], namespace, dryRun: options.dryRun ?? false },
    subresource: options.subresource ?? "",
  };
}

export function pod(name: string, spec: Record<string, unknown>, namespace = "ns"): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec };
}

/** The StatusError a promise rejects with; fails when it resolves or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<StatusError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error("expected the promise to reject with a StatusError");
}
