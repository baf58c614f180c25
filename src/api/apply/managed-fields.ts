/**
 * Field ownership (upstream's apiserver fieldmanager on structured-merge-diff).
 * Every write names a manager; metadata.managedFields records, per manager,
 * operation (Apply or Update), apiVersion and subresource, the set of fields
 * it owns.
 * - Apply: the applied configuration's fields become the manager's Apply
 *   entry. A field another manager owns whose value the apply would change is
 *   a conflict (409) unless forced, which moves the field to the applier.
 *   Fields the applier owned before and no longer applies are removed from the
 *   object when nobody else owns them.
 * - Update (PUT, non-apply PATCH, create): the fields that changed move to the
 *   writer's Update entry and out of everybody else's.
 */
import type { KindDefinition, KubeObject } from "../../resources/kind.ts";
import { applyConflict, badRequest, type FieldManagerConflict } from "../errors/status-error.ts";
import { cloneJson, isJsonObject, type JsonObject, jsonEqual } from "../patch/json-value.ts";
import { strategicMergePatch } from "../patch/strategic-merge-patch.ts";
import { timestamp } from "../registry/object-codec.ts";
import { FieldSet, fieldSetOf, pathString } from "./field-set.ts";
import { removeAt, valueAt } from "./path-value.ts";

export interface ManagedFieldsEntry {
  manager: string;
  operation: "Apply" | "Update";
  apiVersion: string;
  time?: string;
  fieldsType: "FieldsV1";
  fieldsV1: JsonObject;
  subresource?: string;
}

/**
 * Update entries kept before the oldest are folded into one. Upstream keeps
 * ten as well: every controller and kubectl command is a manager of its own,
 * and an object must not grow with each new one.
 */
const maxUpdateManagers = 10;
const ancientManager = "ancient-changes";

/** Metadata the server owns: never part of anybody's field set (upstream strips the same). */
const serverMetadata = [
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "selfLink",
  "managedFields",
];

type ManagedKind = Pick<KindDefinition, "schemaRef" | "hasStatus">;

interface Owner {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

export interface ApplyOptions {
  kind: ManagedKind;
  /** The live object; null when the apply creates it. */
  live: KubeObject | null;
  /** The applied configuration as parsed from the request. */
  applied: unknown;
  manager: string | undefined;
  force: boolean;
  subresource?: string;
  now?: Date;
}

/** The object after a server-side apply, with its managedFields; throws the 409 on conflicts. */
export function applyConfiguration(options: ApplyOptions): KubeObject {
  const { kind, live, manager, force } = options;
  const subresource = options.subresource ?? "";
  if (!manager) throw badRequest("PATCH requests with apply content type must supply fieldManager");
  if (!isJsonObject(options.applied)) {
    throw badRequest("error decoding YAML: the applied configuration is not an object");
  }
  const applied = options.applied;
  const appliedMeta = applied.metadata;
  if (isJsonObject(appliedMeta) && appliedMeta.managedFields !== undefined) {
    throw badRequest("metadata.managedFields must be nil");
  }
  const base = live ? (cloneJson(live as JsonObject) as KubeObject) : ({} as KubeObject);
  const owners = decodeOwners(live);
  if (base.metadata) delete base.metadata.managedFields;
  const merged = strategicMergePatch(base as JsonObject, applied, kind.schemaRef) as KubeObject;
  const appliedSet = ownedFields(applied, kind, subresource);

  const self = (o: Owner) =>
    o.entry.manager === manager &&
    o.entry.operation === "Apply" &&
    (o.entry.subresource ?? "") === subresource;
  const previous = owners.find(self)?.set ?? new FieldSet();
  const others = owners.filter((o) => !self(o));

  const conflicts: FieldManagerConflict[] = [];
  const conflicting = new FieldSet();
  for (const other of others) {
    for (const path of other.set.intersection(appliedSet).paths()) {
      if (hasChildren(appliedSet, path)) continue;
      const before = valueAt(base as JsonObject, kind.schemaRef, path);
      const after = valueAt(merged as JsonObject, kind.schemaRef, path);
      if (before !== undefined && after !== undefined && jsonEqual(before, after)) continue;
      conflicts.push({ manager: printManager(other.entry), field: pathString(path) });
      conflicting.insert(path);
    }
  }
  if (conflicts.length > 0 && !force) throw applyConflict(conflicts);
  for (const other of others) other.set = other.set.difference(conflicting);

  // Fields this manager stopped applying go, unless somebody else still holds them.
  for (const path of previous.difference(appliedSet).paths()) {
    if (appliedSet.hasPrefix(path) || others.some((o) => o.set.hasPrefix(path))) continue;
    removeAt(merged as JsonObject, kind.schemaRef, path);
  }

  const previousEntry = owners.find(self)?.entry;
  const unchanged =
    previousEntry !== undefined &&
    previous.equals(appliedSet) &&
    live !== null &&
    jsonEqual(withoutManagedFields(live), merged as JsonObject);
  const entry: ManagedFieldsEntry = {
    manager,
    operation: "Apply",
    apiVersion: String(merged.apiVersion ?? live?.apiVersion ?? ""),
    // A no-op apply keeps the time, so it writes nothing.
    time: unchanged ? (previousEntry?.time ?? timestamp(options.now)) : timestamp(options.now),
    fieldsType: "FieldsV1",
    fieldsV1: appliedSet.encode(),
  };
  if (subresource) entry.subresource = subresource;
  setManagedFields(merged, [...others, { entry, set: appliedSet }]);
  return merged;
}

export interface UpdateOptions {
  kind: ManagedKind;
  /** The stored object; null for a create. */
  old: KubeObject | null;
  /** The object about to be written; its managedFields are set in place. */
  next: KubeObject;
  /** The writer; without one, ownership is left as it was. */
  manager: string | undefined;
  subresource?: string;
  now?: Date;
}

/**
 * Records an Update-type write. A request that sends managedFields different
 * from the stored ones sets them itself (upstream lets clients reset or
 * migrate them, as kubectl does when it upgrades client-side apply); one that
 * leaves them out keeps the stored ones.
 */
export function recordUpdate(options: UpdateOptions): KubeObject {
  const { kind, old, next, manager } = options;
  const subresource = options.subresource ?? "";
  const meta = next.metadata ?? {};
  next.metadata = meta;
  const stored = old?.metadata?.managedFields;
  const sent = meta.managedFields;
  if (sent !== undefined && !jsonEqual(sent as never, (stored ?? []) as never)) return next;
  if (stored === undefined) delete meta.managedFields;
  else meta.managedFields = cloneJson(stored as never);
  if (!manager) return next;

  const before = old ? withoutManagedFields(old) : {};
  const after = withoutManagedFields(next);
  const oldSet = ownedFields(before, kind, subresource);
  const newSet = ownedFields(after, kind, subresource);
  const changed = new FieldSet();
  for (const path of newSet.paths()) {
    if (!oldSet.has(path)) changed.insert(path);
    else if (!hasChildren(newSet, path)) {
      const a = valueAt(before, kind.schemaRef, path);
      const b = valueAt(after, kind.schemaRef, path);
      if (a === undefined || b === undefined || !jsonEqual(a, b)) changed.insert(path);
    }
  }
  const removed = oldSet.difference(newSet);
  if (changed.isEmpty() && removed.isEmpty()) return next;

  const apiVersion = String(next.apiVersion ?? "");
  const owners = decodeOwners(old);
  const self = (o: Owner) =>
    o.entry.manager === manager &&
    o.entry.operation === "Update" &&
    o.entry.apiVersion === apiVersion &&
    (o.entry.subresource ?? "") === subresource;
  const previous = owners.find(self)?.set ?? new FieldSet();
  const others = owners.filter((o) => !self(o));
  for (const other of others) other.set = other.set.difference(changed).difference(removed);
  const set = previous.union(changed).difference(removed);
  const entry: ManagedFieldsEntry = {
    manager,
    operation: "Update",
    apiVersion,
    time: timestamp(options.now),
    fieldsType: "FieldsV1",
    fieldsV1: set.encode(),
  };
  if (subresource) entry.subresource = subresource;
  setManagedFields(next, [...others, { entry, set }]);
  return next;
}

/** The fields of `object` a manager can own through this subresource. */
function ownedFields(object: JsonObject, kind: ManagedKind, subresource: string): FieldSet {
  const copy: JsonObject = { ...object };
  delete copy.apiVersion;
  delete copy.kind;
  if (isJsonObject(copy.metadata)) {
    const meta: JsonObject = { ...copy.metadata };
    for (const name of serverMetadata) delete meta[name];
    copy.metadata = meta;
  }
  // The main resource and /status each own their half of the object.
  if (subresource === "status") {
    for (const name of Object.keys(copy)) if (name !== "status") delete copy[name];
  } else if (kind.hasStatus) delete copy.status;
  return fieldSetOf(copy, kind.schemaRef);
}

function withoutManagedFields(object: KubeObject): JsonObject {
  const copy = cloneJson(object as JsonObject);
  if (isJsonObject(copy.metadata)) delete copy.metadata.managedFields;
  return copy;
}

function hasChildren(set: FieldSet, path: readonly string[]): boolean {
  let node: FieldSet | undefined = set;
  for (const element of path) node = node?.children.get(element);
  return node !== undefined && [...node.children.values()].some((c) => !c.isEmpty());
}

function decodeOwners(object: KubeObject | null): Owner[] {
  const entries = (object?.metadata?.managedFields ?? []) as unknown[];
  const owners: Owner[] = [];
  for (const raw of entries) {
    if (!isJsonObject(raw) || typeof raw.manager !== "string") continue;
    const entry = cloneJson(raw) as unknown as ManagedFieldsEntry;
    owners.push({ entry, set: FieldSet.decode(raw.fieldsV1) });
  }
  return owners;
}

/** Writes the entries sorted as upstream does, empty ones dropped and old Update entries folded. */
function setManagedFields(object: KubeObject, owners: Owner[]): void {
  let kept = owners.filter((o) => !o.set.isEmpty());
  const updates = kept.filter((o) => o.entry.operation === "Update");
  if (updates.length > maxUpdateManagers) {
    const byAge = [...updates].sort((a, b) =>
      (a.entry.time ?? "").localeCompare(b.entry.time ?? ""),
    );
    const folded = byAge.slice(0, updates.length - maxUpdateManagers + 1);
    let set = new FieldSet();
    for (const o of folded) set = set.union(o.set);
    const newest = folded[folded.length - 1] as Owner;
    const ancient: Owner = {
      entry: { ...newest.entry, manager: ancientManager, fieldsV1: set.encode() },
      set,
    };
    delete ancient.entry.subresource;
    kept = [...kept.filter((o) => !folded.includes(o)), ancient];
  }
  const entries = kept.map((o) => ({ ...o.entry, fieldsV1: o.set.encode() }));
  entries.sort(compareEntries);
  const meta = object.metadata ?? {};
  object.metadata = meta;
  if (entries.length === 0) delete meta.managedFields;
  else meta.managedFields = entries as never;
}

/** Upstream's order: operation (Apply before Update), time, manager, apiVersion, subresource. */
function compareEntries(a: ManagedFieldsEntry, b: ManagedFieldsEntry): number {
  const keys: (keyof ManagedFieldsEntry)[] = [
    "operation",
    "time",
    "manager",
    "apiVersion",
    "subresource",
  ];
  for (const key of keys) {
    const x = String(a[key] ?? "");
    const y = String(b[key] ?? "");
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** How upstream names a manager in conflicts: Apply managers by name, Update ones with their version. */
function printManager(entry: ManagedFieldsEntry): string {
  let text = JSON.stringify(entry.manager);
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  if (entry.operation === "Update") text += ` using ${entry.apiVersion}`;
  return text;
}
