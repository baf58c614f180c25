/**
 * Downward API references (`fieldRef`, `resourceFieldRef`) in env vars and volumes: which
 * pod fields and container resources a container may read about itself.
 */
import { type FieldError, invalid, notSupported, required } from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { isQualifiedName } from "../../validation/qualified-name.ts";
import { type JsonRecord, stringOf } from "./json-value.ts";
import { parseQuantityValue } from "./resource-requirements.ts";

/** Every field label the v1 conversion accepts, subscripts aside. */
const convertibleFieldLabels = new Set([
  "metadata.annotations",
  "metadata.labels",
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.restartPolicy",
  "spec.serviceAccountName",
  "spec.schedulerName",
  "status.phase",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
]);

export const ENV_FIELD_PATHS: readonly string[] = [
  "metadata.name",
  "metadata.namespace",
  "metadata.uid",
  "spec.nodeName",
  "spec.serviceAccountName",
  "status.hostIP",
  "status.hostIPs",
  "status.podIP",
  "status.podIPs",
];

export const VOLUME_FIELD_PATHS: readonly string[] = [
  "metadata.name",
  "metadata.namespace",
  "metadata.labels",
  "metadata.annotations",
  "metadata.uid",
];

const containerResourceFields = [
  "limits.cpu",
  "limits.memory",
  "limits.ephemeral-storage",
  "requests.cpu",
  "requests.memory",
  "requests.ephemeral-storage",
];
const hugePagesPrefixes = ["requests.hugepages-", "limits.hugepages-"];

/** `metadata.labels['app']` → path and subscript. */
function splitSubscript(fieldPath: string): { path: string; subscript?: string } {
  const match = /^(.*)\['(.*)'\]$/.exec(fieldPath);
  return match ? { path: match[1] as string, subscript: match[2] as string } : { path: fieldPath };
}

export function validateObjectFieldSelector(
  selector: JsonRecord,
  allowed: readonly string[],
  path: FieldPath,
): FieldError[] {
  const apiVersion = stringOf(selector.apiVersion);
  const fieldPath = stringOf(selector.fieldPath);
  if (apiVersion === "") return [required(path.child("apiVersion"), "")];
  if (fieldPath === "") return [required(path.child("fieldPath"), "")];
  const { path: base, subscript } = splitSubscript(fieldPath);
  let conversionError: string | undefined;
  if (apiVersion !== "v1") conversionError = `unsupported pod version: ${apiVersion}`;
  else if (!convertibleFieldLabels.has(base)) {
    conversionError = `field label not supported: ${fieldPath}`;
  }
  if (conversionError) {
    return [
      invalid(path.child("fieldPath"), fieldPath, `error converting fieldPath: ${conversionError}`),
    ];
  }
  if (subscript !== undefined) {
    switch (base) {
      case "metadata.annotations":
        return isQualifiedName(subscript.toLowerCase()).map((m) =>
          invalid(path, subscript.toLowerCase(), m),
        );
      case "metadata.labels":
        return isQualifiedName(subscript).map((m) => invalid(path, subscript, m));
      default:
        return [invalid(path, base, "does not support subscript")];
    }
  }
  if (!allowed.includes(base)) {
    return [notSupported(path.child("fieldPath"), base, [...allowed].sort())];
  }
  return [];
}

const divisorsByResource: [test: (resource: string) => boolean, allowed: string[], what: string][] =
  [
    [(r) => r === "limits.cpu" || r === "requests.cpu", ["1m", "1"], "cpu"],
    [
      (r) => r === "limits.memory" || r === "requests.memory",
      ["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"],
      "memory",
    ],
    [
      (r) => r === "limits.ephemeral-storage" || r === "requests.ephemeral-storage",
      ["1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"],
      "local ephemeral storage",
    ],
  ];

/** `resourceFieldRef`; volumes must also name the container. */
export function validateResourceFieldSelector(
  selector: JsonRecord,
  path: FieldPath,
  isVolume: boolean,
): FieldError[] {
  const errors: FieldError[] = [];
  const resource = stringOf(selector.resource);
  if (isVolume && stringOf(selector.containerName) === "") {
    errors.push(required(path.child("containerName"), ""));
  } else if (resource === "") {
    errors.push(required(path.child("resource"), ""));
  } else if (
    !containerResourceFields.includes(resource) &&
    !hugePagesPrefixes.some((prefix) => resource.startsWith(prefix))
  ) {
    errors.push(
      notSupported(path.child("resource"), resource, [...containerResourceFields].sort()),
    );
  }
  if (selector.divisor !== undefined && selector.divisor !== null) {
    const parsed = parseQuantityValue(selector.divisor, path.child("divisor"));
    errors.push(...parsed.errors);
    const divisor = parsed.quantity;
    if (divisor && !divisor.isZero()) {
      for (const [test, allowed, what] of divisorsByResource) {
        if (test(resource) && !allowed.includes(divisor.toString())) {
          errors.push(
            invalid(
              path.child("divisor"),
              resource,
              `only divisor's values ${allowed.join(", ")} are supported with the ${what} resource`,
            ),
          );
        }
      }
    }
  }
  return errors;
}
