import type { FieldError } from "./validation/field-error.ts";

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export type Verb =
  | "create"
  | "delete"
  | "deletecollection"
  | "get"
  | "list"
  | "patch"
  | "update"
  | "watch";

export const allVerbs: readonly Verb[] = [
  "create",
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "update",
  "watch",
];

/** What a hook may need to know about the request it runs for. */
export interface RequestContext {
  /** The authenticated user's name. */
  user: string;
  groups: readonly string[];
  /** The namespace in the URL ("" for cluster-scoped requests). */
  namespace: string;
  uid?: string;
  extra?: Readonly<Record<string, readonly string[]>>;
  /** Set for dry runs: hooks must not have side effects outside the object. */
  dryRun: boolean;
}

/** One column of `kubectl get` output (meta.k8s.io/v1 TableColumnDefinition). */
export interface TableColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format: string;
  description: string;
  /** 0: always shown; 1: only with `-o wide`. */
  priority: number;
}

/** The `/scale` subresource of a kind (autoscaling/v1 Scale). */
export interface ScaleSubresource {
  /** JSON path of the desired replicas, e.g. ".spec.replicas". */
  specReplicasPath: string;
  statusReplicasPath: string;
  /** Path of the label selector (an object for apps kinds, a map for ReplicationController). */
  labelSelectorPath?: string;
}

/**
 * A kind: the one file per resource in src/resources/kinds supplies this plain,
 * stateless object of facts and hooks; the generic registry runs every verb in a
 * fixed order around them (system metadata → prepareForCreate/Update → defaults →
 * validate → write). Hooks mutate only the object they are given (a copy), and
 * validation never mutates.
 */
export interface KindDefinition {
  group: string; // "" for core
  version: string;
  kind: string;
  /** Plural, lower case: the URL segment ("pods"). */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames?: readonly string[];
  categories?: readonly string[];
  /** Defaults to every verb. */
  verbs?: readonly Verb[];
  /** Schema reference of the type in src/resources/schema ("core/v1.Pod"). */
  schemaRef: string;
  /** Whether the kind has a status that only `/status` writes (status strategy). */
  hasStatus: boolean;
  scale?: ScaleSubresource;
  /**
   * Create-only and never stored (reviews): the API answers a create with a
   * computed object; no watch cache, no garbage collection.
   */
  virtual?: boolean;
  /** Other subresources it serves ("binding", "log", "exec", "eviction", …), routed by the API. */
  subresources?: readonly string[];

  /** Fills defaults (create and update), like upstream's SetDefaults_*. */
  defaults?(object: KubeObject): void;
  /** Clears what a client may not set at create (status usually), before defaults. */
  prepareForCreate?(object: KubeObject, context: RequestContext): void;
  /** Restores what a client may not change at update (status usually), before defaults. */
  prepareForUpdate?(object: KubeObject, old: KubeObject, context: RequestContext): void;
  validate?(object: KubeObject, context: RequestContext): FieldError[];
  /** Extra checks at update (immutable fields); `validate` runs too. */
  validateUpdate?(object: KubeObject, old: KubeObject, context: RequestContext): FieldError[];
  /**
   * Field-selector values beyond metadata.name and metadata.namespace (which
   * every kind has), e.g. { "spec.nodeName": "n1", "status.phase": "Running" }.
   */
  selectableFields?(object: KubeObject): Record<string, string>;
  /** Whether a spec change bumps metadata.generation (kinds with a spec; default true when hasStatus). */
  tracksGeneration?: boolean;
  /**
   * Writable subresources with their own strategy (e.g. a CSR's "approval"): `prepare`
   * builds the object to store from the request and the stored one, `validate`
   * replaces the kind's update validation for that subresource.
   */
  subresourceStrategies?: Readonly<Record<string, SubresourceStrategy>>;
}

export interface SubresourceStrategy {
  prepare(object: KubeObject, old: KubeObject): void;
  validate(object: KubeObject, old: KubeObject): FieldError[];
}
