/** ConfigMaps, Secrets and ServiceAccounts (core/v1): what a pod's configuration comes from. */
import type { KubeObject } from "../kind.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

interface ConfigMap {
  data?: Record<string, string> | null;
  binaryData?: Record<string, string> | null;
}

interface Secret {
  type?: string;
  data?: Record<string, string> | null;
  stringData?: Record<string, string> | null;
}

interface ServiceAccount {
  secrets?: unknown[] | null;
}

const configMapColumns = [
  nameColumn,
  column(
    "Data",
    "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.",
  ),
  ageColumn,
];

const secretColumns = [
  nameColumn,
  column(
    "Type",
    "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types",
  ),
  column(
    "Data",
    "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4",
  ),
  ageColumn,
];

const serviceAccountColumns = [
  nameColumn,
  column(
    "Secrets",
    'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use. Pods are only limited to this list if this service account has a "kubernetes.io/enforce-mountable-secrets" annotation set to "true". The "kubernetes.io/enforce-mountable-secrets" annotation is deprecated since v1.32. Prefer separate namespaces to isolate access to mounted secrets. This field should not be used to find auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested directly using the TokenRequest API, or service account token secrets can be manually created. More info: https://kubernetes.io/docs/concepts/configuration/secret',
  ),
  ageColumn,
];

function count(map: Record<string, string> | null | undefined): number {
  return Object.keys(map ?? {}).length;
}

/**
 * DATA of a secret: its keys. Upstream counts after converting to the internal type,
 * which folds stringData into data, so a key in both counts once.
 */
function secretKeys(secret: Secret): number {
  return new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]).size;
}

export const configPrinters: PrinterSet = {
  configmaps: {
    columns: configMapColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const configMap = object as ConfigMap;
      const keys = count(configMap.data) + count(configMap.binaryData);
      return [nameOf(object), keys, ageOf(object, now)];
    },
  },
  secrets: {
    columns: secretColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const secret = object as Secret;
      // Defaulted to Opaque by the API server.
      return [nameOf(object), secret.type || "Opaque", secretKeys(secret), ageOf(object, now)];
    },
  },
  serviceaccounts: {
    columns: serviceAccountColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const secrets = (object as ServiceAccount).secrets ?? [];
      return [nameOf(object), secrets.length, ageOf(object, now)];
    },
  },
};
