import type { KindDefinition, KubeObject, RequestContext } from "../../resources/kind.ts";

export type AdmissionOperation = "CREATE" | "UPDATE" | "DELETE";

export interface AdmissionRequest {
  operation: AdmissionOperation;
  kind: KindDefinition;
  /** The object being written (a private copy that mutating plugins may change). */
  object: KubeObject;
  oldObject: KubeObject | null;
  context: RequestContext;
  /** "status", "scale", … for subresource writes; "" for the main resource. */
  subresource: string;
}

/**
 * An admission plugin, like kube-apiserver's: `mutate` runs before the kind's
 * defaults and validation, `validate` after them; either denies by throwing a
 * StatusError. `committed`/`aborted` let a plugin that reserved something (a
 * Service IP, a node port) keep or release it once the write's fate is known.
 */
export interface AdmissionPlugin {
  readonly name: string;
  mutate?(request: AdmissionRequest): Promise<void>;
  validate?(request: AdmissionRequest): Promise<void>;
  /** The write was not stored (failed validation, conflict, dry run). */
  aborted?(request: AdmissionRequest): Promise<void>;
  /** The object was removed from the store for good. */
  deleted?(kind: KindDefinition, object: KubeObject): Promise<void>;
}

export class AdmissionChain {
  constructor(private readonly plugins: readonly AdmissionPlugin[]) {}

  async mutate(request: AdmissionRequest): Promise<void> {
    for (const plugin of this.plugins) await plugin.mutate?.(request);
  }

  async validate(request: AdmissionRequest): Promise<void> {
    for (const plugin of this.plugins) await plugin.validate?.(request);
  }

  async aborted(request: AdmissionRequest): Promise<void> {
    for (const plugin of this.plugins) await plugin.aborted?.(request);
  }

  async deleted(kind: KindDefinition, object: KubeObject): Promise<void> {
    for (const plugin of this.plugins) await plugin.deleted?.(kind, object);
  }
}
