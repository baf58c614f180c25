/**
 * Column definitions as upstream's printers declare them. The descriptions are the API
 * field documentation upstream points each column at (its SwaggerDoc text), so
 * `kubectl explain`-style tooling reading a Table sees the same words as on Kubernetes.
 */
import type { TableColumn } from "../kind.ts";

interface ColumnOptions {
  type?: TableColumn["type"];
  format?: string;
  /** 1 for the columns only `-o wide` shows. */
  priority?: number;
}

export function column(
  name: string,
  description: string,
  options: ColumnOptions = {},
): TableColumn {
  return {
    name,
    type: options.type ?? "string",
    format: options.format ?? "",
    description,
    priority: options.priority ?? 0,
  };
}

/** metav1.ObjectMeta's documentation of `name`. */
export const nameDescription =
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

/** metav1.ObjectMeta's documentation of `creationTimestamp`. */
export const creationTimestampDescription =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

export const nameColumn = column("Name", nameDescription, { format: "name" });
export const ageColumn = column("Age", creationTimestampDescription);

export function containersColumn(priority = 1): TableColumn {
  return column("Containers", "Names of each container in the template.", { priority });
}

export function imagesColumn(priority = 1): TableColumn {
  return column("Images", "Images referenced by each container in the template.", { priority });
}
