import { isDeepStrictEqual } from "node:util";
import type { Logger } from "../../log/logger.ts";
import type { KindDefinition, KubeObject, RequestContext } from "../../resources/kind.ts";
import { apiVersionOf } from "../../resources/kind-registry.ts";
import { type FieldError, required } from "../../resources/validation/field-error.ts";
import { FieldPath } from "../../resources/validation/field-path.ts";
import {
  GENERATE_NAME_MAX_ATTEMPTS,
  generateName,
} from "../../resources/validation/generate-name.ts";
import { nameIsDNSSubdomain } from "../../resources/validation/name-validators.ts";
import { validateObjectMeta } from "../../resources/validation/object-meta.ts";
import { KeyExistsError, RevisionMismatchError } from "../../store/errors.ts";
import type { ListOptions, ListResult, RevisionStore } from "../../store/revision-store.ts";
import type { AdmissionChain, AdmissionRequest } from "../admission/admission.ts";
import { recordUpdate } from "../apply/managed-fields.ts";
import {
  badRequest,
  conflict,
  forbidden,
  invalid,
  modifiedConflictReason,
  notFound,
  type Subject,
} from "../errors/status-error.ts";
import { statusFromStoreError } from "../errors/store-errors.ts";
import {
  decodeObject,
  encodeObject,
  objectKey,
  resourcePrefix,
  timestamp,
} from "./object-codec.ts";
import { objectFields } from "./selection.ts";
import { WatchCache } from "./watch-cache.ts";

export interface WriteOptions {
  dryRun: boolean;
  fieldManager?: string;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** How many times a write that raced another (no client precondition) is retried. */
const conflictRetries = 16;

/** Looks up namespaces for NamespaceLifecycle-style checks. */
export type NamespaceLookup = (name: string) => Promise<KubeObject | null>;

/**
 * The generic registry of one kind (upstream's generic registry Store): it runs
 * every verb in a fixed order around the kind's hooks, stores objects in the
 * revision store, and serves reads from the watch cache. Objects returned are
 * the caller's own copies unless the method says otherwise.
 */
export class ResourceRegistry {
  readonly cache: WatchCache;

  constructor(
    readonly kind: KindDefinition,
    private readonly store: RevisionStore,
    private readonly admission: AdmissionChain,
    private readonly namespaces: NamespaceLookup,
    log: Logger,
  ) {
    this.cache = new WatchCache(
      store,
      resourcePrefix(kind),
      decodeObject,
      log,
      (object, field) => objectFields(kind, object)[field],
    );
  }

  subject(name?: string): Subject {
    return name === undefined
      ? { group: this.kind.group, resource: this.kind.resource }
      : { group: this.kind.group, resource: this.kind.resource, name };
  }

  key(namespace: string, name: string): string {
    return objectKey(this.kind, namespace, name);
  }

  /** A page of stored objects (paged and exact-version lists read the store, not the cache). */
  storeList(prefix: string, options: ListOptions): Promise<ListResult> {
    return this.store.list(prefix, options);
  }

  /** The latest version, read from the store (a consistent read). */
  async get(namespace: string, name: string): Promise<KubeObject> {
    const found = await this.read(namespace, name);
    if (!found) throw notFound(this.subject(name));
    return found.object;
  }

  /** Creates an object; `input` becomes the registry's (callers pass a fresh object). */
  async create(
    context: RequestContext,
    input: KubeObject,
    options: WriteOptions,
  ): Promise<KubeObject> {
    const object = this.adopt(input, false);
    recordUpdate({ kind: this.kind, old: null, next: object, manager: options.fieldManager });
    const meta = object.metadata ?? {};
    object.metadata = meta;
    if (this.kind.namespaced) {
      if (meta.namespace && meta.namespace !== context.namespace) {
        throw badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      meta.namespace = context.namespace;
    } else {
      delete meta.namespace;
    }
    const explicitName = Boolean(meta.name);
    for (let attempt = 0; ; attempt++) {
      if (!explicitName && meta.generateName) meta.name = generateName(meta.generateName);
      meta.uid = crypto.randomUUID();
      meta.creationTimestamp = timestamp();
      delete meta.resourceVersion;
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
      if (this.tracksGeneration()) meta.generation = 1;
      else delete meta.generation;
      const request = this.admissionRequest("CREATE", object, null, context);
      await this.admission.mutate(request);
      this.kind.prepareForCreate?.(object, context);
      this.kind.defaults?.(object);
      this.throwIfInvalid(object, this.validateCreate(object, context));
      await this.admission.validate(request);
      if (this.kind.namespaced) await this.requireActiveNamespace(context.namespace);
      if (options.dryRun) {
        await this.admission.aborted(request);
        return object;
      }
      try {
        const revision = await this.store.create(
          this.key(context.namespace, meta.name ?? ""),
          encodeObject(object),
        );
        meta.resourceVersion = String(revision);
        return object;
      } catch (error) {
        await this.admission.aborted(request);
        // A generated name that collided: try another, as upstream does.
        if (
          error instanceof KeyExistsError &&
          !explicitName &&
          attempt + 1 < GENERATE_NAME_MAX_ATTEMPTS
        )
          continue;
        throw statusFromStoreError(error, this.subject(meta.name));
      }
    }
  }

  /**
   * Replaces an object (PUT). With metadata.resourceVersion in the input it is a
   * compare-and-swap (409 on a stale version); without, the latest version is
   * replaced. `subresource` "status" writes only the status.
   */
  async update(
    context: RequestContext,
    name: string,
    input: KubeObject,
    options: WriteOptions & { subresource?: string },
  ): Promise<KubeObject> {
    const precondition = input.metadata?.resourceVersion;
    return this.writeLoop(
      context,
      name,
      Boolean(precondition),
      async (current) => {
        if (precondition && precondition !== current.metadata?.resourceVersion) {
          throw conflict(this.subject(name), modifiedConflictReason);
        }
        const next = this.adopt(input);
        const { fieldManager: manager, subresource } = options;
        return recordUpdate({ kind: this.kind, old: current, next, manager, subresource });
      },
      options,
    );
  }

  /** Applies `mutate` to the latest version and writes the result, retrying on races. */
  async modify(
    context: RequestContext,
    name: string,
    mutate: (current: KubeObject) => KubeObject | Promise<KubeObject>,
    options: WriteOptions & { subresource?: string },
  ): Promise<KubeObject> {
    return this.writeLoop(
      context,
      name,
      false,
      async (current) => {
        const next = await mutate(structuredClone(current));
        const wanted = next.metadata?.resourceVersion;
        // A patch may carry its own precondition.
        if (wanted && wanted !== current.metadata?.resourceVersion) {
          throw conflict(this.subject(name), modifiedConflictReason);
        }
        return this.adopt(next);
      },
      options,
    );
  }

  async delete(context: RequestContext, name: string, options: DeleteOptions): Promise<KubeObject> {
    for (let attempt = 0; ; attempt++) {
      const found = await this.read(context.namespace, name);
      if (!found) throw notFound(this.subject(name));
      const { object: current, revision } = found;
      const meta = current.metadata ?? {};
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== meta.uid) {
        throw conflict(
          this.subject(name),
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ""}`,
        );
      }
      if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
        throw conflict(
          this.subject(name),
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ""}`,
        );
      }
      const finalizers = new Set(meta.finalizers ?? []);
      if (options.propagationPolicy === "Foreground") finalizers.add("foregroundDeletion");
      if (options.propagationPolicy === "Orphan") finalizers.add("orphan");
      const grace = this.gracePeriod(current, options);
      const request = this.admissionRequest("DELETE", current, current, context);
      await this.admission.validate(request);
      const namespaceFinalizers = this.isNamespaces() ? specFinalizers(current) : [];
      if (finalizers.size > 0 || grace > 0 || namespaceFinalizers.length > 0) {
        // Graceful: mark for deletion; finalizers' owners (or the node agent) finish it.
        const shortens =
          meta.deletionGracePeriodSeconds !== undefined && grace < meta.deletionGracePeriodSeconds;
        if (
          meta.deletionTimestamp &&
          finalizers.size === (meta.finalizers?.length ?? 0) &&
          !shortens
        )
          return current;
        const marked = structuredClone(current);
        const markedMeta = marked.metadata ?? {};
        // A second delete may shorten the grace period (the node agent's final delete is 0).
        if (!markedMeta.deletionTimestamp || shortens)
          markedMeta.deletionTimestamp = timestamp(new Date(Date.now() + grace * 1000));
        markedMeta.deletionGracePeriodSeconds = shortens
          ? grace
          : (meta.deletionGracePeriodSeconds ?? grace);
        if (finalizers.size > 0) markedMeta.finalizers = [...finalizers];
        // A namespace terminates: its contents go first, then its spec finalizers.
        if (namespaceFinalizers.length > 0)
          marked.status = { ...(marked.status as object), phase: "Terminating" };
        if (options.dryRun) return marked;
        try {
          const next = await this.store.update(found.key, encodeObject(marked), revision);
          markedMeta.resourceVersion = String(next.revision);
          return marked;
        } catch (error) {
          if (error instanceof RevisionMismatchError && attempt < conflictRetries) continue;
          throw statusFromStoreError(error, this.subject(name));
        }
      }
      if (options.dryRun) return current;
      try {
        const deleted = await this.store.delete(found.key, revision);
        await this.admission.deleted(this.kind, current);
        meta.resourceVersion = String(deleted.revision);
        return current;
      } catch (error) {
        if (
          error instanceof RevisionMismatchError &&
          !pre?.resourceVersion &&
          attempt < conflictRetries
        )
          continue;
        throw statusFromStoreError(error, this.subject(name));
      }
    }
  }

  private async writeLoop(
    context: RequestContext,
    name: string,
    hasPrecondition: boolean,
    produce: (current: KubeObject) => Promise<KubeObject>,
    options: WriteOptions & { subresource?: string },
  ): Promise<KubeObject> {
    const subresource = options.subresource ?? "";
    for (let attempt = 0; ; attempt++) {
      const found = await this.read(context.namespace, name);
      if (!found) throw notFound(this.subject(name));
      const old = found.object;
      const object = await produce(old);
      const meta = object.metadata ?? {};
      object.metadata = meta;
      if (meta.name !== undefined && meta.name !== name) {
        throw badRequest(
          `the name of the object (${meta.name}) does not match the name on the URL (${name})`,
        );
      }
      if (this.kind.namespaced && meta.namespace && meta.namespace !== context.namespace) {
        throw badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      const strategy = this.kind.subresourceStrategies?.[subresource];
      const next =
        subresource === "status"
          ? this.withStatusOnly(old, object)
          : subresource === "finalize"
            ? withSpecFinalizersOnly(old, object)
            : object;
      strategy?.prepare(next, old);
      this.keepSystemMetadata(next, old);
      const request = this.admissionRequest("UPDATE", next, old, context, subresource);
      await this.admission.mutate(request);
      if (subresource === "") {
        if (this.kind.hasStatus && old.status !== undefined)
          next.status = structuredClone(old.status);
        this.kind.prepareForUpdate?.(next, old, context);
      }
      this.kind.defaults?.(next);
      this.bumpGeneration(next, old);
      this.throwIfInvalid(
        next,
        strategy ? strategy.validate(next, old) : this.validateUpdate(next, old, context),
      );
      await this.admission.validate(request);
      const nextMeta = next.metadata ?? {};
      if (isDeepStrictEqual(withoutVersion(next), withoutVersion(old))) return old;
      if (options.dryRun) return next;
      try {
        if (
          nextMeta.deletionTimestamp &&
          old.metadata?.deletionGracePeriodSeconds === 0 &&
          this.pendingFinalizers(old) > 0 &&
          this.pendingFinalizers(next) === 0
        ) {
          // The last finalizer is gone and no grace period is running (upstream's
          // shouldDeleteDuringUpdate): the deletion completes now. A pod still in its
          // grace period waits for its node agent's final delete.
          const deleted = await this.store.delete(found.key, found.revision);
          await this.admission.deleted(this.kind, next);
          nextMeta.resourceVersion = String(deleted.revision);
          return next;
        }
        const written = await this.store.update(found.key, encodeObject(next), found.revision);
        nextMeta.resourceVersion = String(written.revision);
        return next;
      } catch (error) {
        if (error instanceof RevisionMismatchError && !hasPrecondition && attempt < conflictRetries)
          continue;
        throw statusFromStoreError(error, this.subject(name));
      }
    }
  }

  private isNamespaces(): boolean {
    return this.kind.group === "" && this.kind.resource === "namespaces";
  }

  /** Finalizers that hold a deletion: metadata.finalizers, and a namespace's spec.finalizers. */
  private pendingFinalizers(object: KubeObject): number {
    const count = object.metadata?.finalizers?.length ?? 0;
    return this.isNamespaces() ? count + specFinalizers(object).length : count;
  }

  private async read(namespace: string, name: string) {
    const key = this.key(namespace, name);
    try {
      const kv = await this.store.get(key);
      if (!kv) return null;
      return { key, revision: kv.revision, object: decodeObject(kv.value, kv.revision) };
    } catch (error) {
      throw statusFromStoreError(error, this.subject(name));
    }
  }

  /** The object with this kind's apiVersion and kind; a private copy unless `copy` is false. */
  private adopt(input: KubeObject, copy = true): KubeObject {
    const object = copy ? structuredClone(input) : input;
    object.apiVersion = apiVersionOf(this.kind);
    object.kind = this.kind.kind;
    return object;
  }

  /** Fields only the server sets keep their stored values. */
  private keepSystemMetadata(object: KubeObject, old: KubeObject): void {
    const meta = object.metadata ?? {};
    object.metadata = meta;
    const previous = old.metadata ?? {};
    meta.name = previous.name;
    if (this.kind.namespaced) meta.namespace = previous.namespace;
    meta.uid = previous.uid;
    meta.creationTimestamp = previous.creationTimestamp;
    meta.resourceVersion = previous.resourceVersion;
    for (const field of [
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "generation",
    ] as const) {
      if (previous[field] === undefined) delete meta[field];
      else (meta as Record<string, unknown>)[field] = previous[field];
    }
  }

  private withStatusOnly(old: KubeObject, input: KubeObject): KubeObject {
    const next = structuredClone(old);
    if (input.status === undefined) delete next.status;
    else next.status = input.status;
    return next;
  }

  private tracksGeneration(): boolean {
    return this.kind.tracksGeneration ?? this.kind.hasStatus;
  }

  /** A change to anything but metadata and status is a new generation. */
  private bumpGeneration(object: KubeObject, old: KubeObject): void {
    if (!this.tracksGeneration()) return;
    const { metadata: _m, status: _s, ...spec } = object;
    const { metadata: _om, status: _os, ...oldSpec } = old;
    const meta = object.metadata ?? {};
    const generation = old.metadata?.generation ?? 1;
    meta.generation = isDeepStrictEqual(spec, oldSpec) ? generation : generation + 1;
  }

  private gracePeriod(object: KubeObject, options: DeleteOptions): number {
    if (this.kind.resource !== "pods" || this.kind.group !== "") return 0;
    const spec = (object.spec ?? {}) as {
      nodeName?: string;
      terminationGracePeriodSeconds?: number;
    };
    // A pod no node runs can go at once; a running one gets its grace period.
    if (!spec.nodeName) return 0;
    const requested = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
    return Math.max(0, requested);
  }

  private validateCreate(object: KubeObject, context: RequestContext): FieldError[] {
    if (this.kind.validate) return this.kind.validate(object, context);
    return this.validateMetadata(object);
  }

  private validateUpdate(
    object: KubeObject,
    old: KubeObject,
    context: RequestContext,
  ): FieldError[] {
    const errors = this.kind.validate
      ? this.kind.validate(object, context)
      : this.validateMetadata(object);
    if (this.kind.validateUpdate) errors.push(...this.kind.validateUpdate(object, old, context));
    return errors;
  }

  private validateMetadata(object: KubeObject): FieldError[] {
    if (!object.metadata?.name && !object.metadata?.generateName) {
      return [
        required(FieldPath.root("metadata").child("name"), "name or generateName is required"),
      ];
    }
    return validateObjectMeta(object.metadata ?? {}, {
      namespaced: this.kind.namespaced,
      nameValidator: nameIsDNSSubdomain,
      standardFinalizersOnly: true,
    });
  }

  private throwIfInvalid(object: KubeObject, errors: FieldError[]): void {
    if (errors.length === 0) return;
    throw invalid(this.kind.kind, this.kind.group, object.metadata?.name ?? "", errors);
  }

  private async requireActiveNamespace(namespace: string): Promise<void> {
    const found = await this.namespaces(namespace);
    if (!found) throw notFound({ group: "", resource: "namespaces", name: namespace });
    if (
      found.metadata?.deletionTimestamp ||
      (found.status as { phase?: string })?.phase === "Terminating"
    ) {
      throw forbidden(
        this.subject(),
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private admissionRequest(
    operation: AdmissionRequest["operation"],
    object: KubeObject,
    oldObject: KubeObject | null,
    context: RequestContext,
    subresource = "",
  ): AdmissionRequest {
    return { operation, kind: this.kind, object, oldObject, context, subresource };
  }
}

function specFinalizers(object: KubeObject): string[] {
  return ((object.spec ?? {}) as { finalizers?: string[] }).finalizers ?? [];
}

/** A namespace's /finalize subresource writes spec.finalizers and nothing else. */
function withSpecFinalizersOnly(old: KubeObject, input: KubeObject): KubeObject {
  const next = structuredClone(old);
  next.spec = { ...(next.spec as object), finalizers: specFinalizers(input) };
  return next;
}

function withoutVersion(object: KubeObject): KubeObject {
  const { resourceVersion: _, ...metadata } = object.metadata ?? {};
  return { ...object, metadata };
}
