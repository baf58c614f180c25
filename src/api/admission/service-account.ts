/**
 * ServiceAccount admission for pods (upstream plugin/pkg/admission/serviceaccount): a new
 * pod runs as a ServiceAccount that exists ("default" unless it names one), inherits the
 * account's image pull secrets, and gets its API credentials as a projected volume
 * mounted in every container. Mirror pods (static pods a kubelet reports) are never
 * changed, and may not use accounts or secrets at all.
 */
import type { ObjectReader, ResourceRef } from "../../auth/types.ts";
import type { KubeObject } from "../../resources/kind.ts";
import {
  ensureRecord,
  isRecord,
  type JsonRecord,
  recordList,
  recordOf,
  stringOf,
} from "../../resources/kinds/core/json-value.ts";
import { generateName } from "../../resources/validation/generate-name.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";
import { denyRequest, isMainResource, PODS, requestNamespace } from "./admission-support.ts";

export const DEFAULT_SERVICE_ACCOUNT_NAME = "default";
/** Where containers find the token, CA bundle and namespace. */
export const SERVICE_ACCOUNT_TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Prefix of the generated volume's name. */
export const SERVICE_ACCOUNT_VOLUME_PREFIX = "kube-api-access-";
export const MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror";
/** With "true", pods may only use the secrets their account lists. */
export const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION = "kubernetes.io/enforce-mountable-secrets";
/**
 * A little over an hour: upstream's warn-only expiry, which tells the token issuer to
 * extend the token while warning clients that keep using it past an hour.
 */
const TOKEN_EXPIRATION_SECONDS = 3607;
/** 0644. */
const DEFAULT_MODE = 420;

const SERVICE_ACCOUNTS: ResourceRef = { group: "", resource: "serviceaccounts" };

/** The projected volume that carries a pod's bound token, the cluster CA and its namespace. */
export function tokenVolumeSource(): JsonRecord {
  return {
    sources: [
      { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: "token" } },
      {
        configMap: {
          name: "kube-root-ca.crt",
          items: [{ key: "ca.crt", path: "ca.crt" }],
        },
      },
      {
        downwardAPI: {
          items: [
            { path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } },
          ],
        },
      },
    ],
    defaultMode: DEFAULT_MODE,
  };
}

export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = "ServiceAccount";
  /** Accounts resolved by `mutate`, so `validate` does not create or look them up again. */
  private readonly resolved = new WeakMap<KubeObject, KubeObject>();

  /** `ensureDefault` creates a namespace's "default" ServiceAccount when it is missing. */
  constructor(
    private readonly reader: ObjectReader,
    private readonly ensureDefault: (namespace: string) => Promise<void>,
  ) {}

  async mutate(request: AdmissionRequest): Promise<void> {
    if (!handles(request) || isMirrorPod(request.object)) return;
    const spec = ensureRecord(request.object, "spec");
    // `serviceAccount` is the deprecated alias; the new field wins when both are set.
    const name =
      stringOf(spec.serviceAccountName) ||
      stringOf(spec.serviceAccount) ||
      DEFAULT_SERVICE_ACCOUNT_NAME;
    spec.serviceAccountName = name;
    spec.serviceAccount = name;
    const account = await this.resolve(request, name);
    this.resolved.set(request.object, account);
    if (shouldAutomount(account, spec)) mountToken(spec);
    copyImagePullSecrets(account, spec);
  }

  async validate(request: AdmissionRequest): Promise<void> {
    if (!handles(request)) return;
    const pod = request.object;
    if (isMirrorPod(pod)) {
      const problem = mirrorPodProblem(pod);
      if (problem) throw denyRequest(request, problem);
      return;
    }
    const spec = recordOf(pod.spec) ?? {};
    const account =
      this.resolved.get(pod) ?? (await this.resolve(request, stringOf(spec.serviceAccountName)));
    if (enforcesMountableSecrets(account)) {
      const problem = unlistedSecretReference(account, spec);
      if (problem) throw denyRequest(request, problem);
    }
  }

  /**
   * The pod's account from the cache. A missing "default" is created on the spot; the
   * cache may not show it yet, so a fresh (empty) account stands in for it.
   */
  private async resolve(request: AdmissionRequest, name: string): Promise<KubeObject> {
    const namespace = requestNamespace(request);
    const found = this.reader.get(SERVICE_ACCOUNTS, namespace, name);
    if (found) return found;
    if (name !== DEFAULT_SERVICE_ACCOUNT_NAME) {
      throw denyRequest(
        request,
        `error looking up service account ${namespace}/${name}: serviceaccount "${name}" not found`,
      );
    }
    // A dry run has no side effects: it is admitted as if the account existed.
    if (!request.context.dryRun) await this.ensureDefault(namespace);
    return (
      this.reader.get(SERVICE_ACCOUNTS, namespace, name) ?? {
        metadata: { name, namespace },
      }
    );
  }
}

function handles(request: AdmissionRequest): boolean {
  return request.operation === "CREATE" && isMainResource(request, PODS);
}

function isMirrorPod(pod: KubeObject): boolean {
  return pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;
}

/** The pod's own setting wins, then the account's; the default is to mount. */
function shouldAutomount(account: KubeObject, spec: JsonRecord): boolean {
  if (typeof spec.automountServiceAccountToken === "boolean") {
    return spec.automountServiceAccountToken;
  }
  if (typeof account.automountServiceAccountToken === "boolean") {
    return account.automountServiceAccountToken;
  }
  return true;
}

/**
 * Mounts the token volume in every init container and container that has nothing at the
 * mount path yet, reusing a `kube-api-access-*` volume the pod already has.
 */
function mountToken(spec: JsonRecord): void {
  const volumes = recordList(spec.volumes);
  const existing = volumes.find((v) => stringOf(v.name).startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const volumeName = existing
    ? stringOf(existing.name)
    : generateName(SERVICE_ACCOUNT_VOLUME_PREFIX);
  let needed = false;
  for (const list of [spec.initContainers, spec.containers]) {
    for (const container of Array.isArray(list) ? list : []) {
      if (!isRecord(container)) continue;
      const mounts = recordList(container.volumeMounts);
      if (mounts.some((m) => m.mountPath === SERVICE_ACCOUNT_TOKEN_MOUNT_PATH)) continue;
      container.volumeMounts = [
        ...mounts,
        { name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_TOKEN_MOUNT_PATH },
      ];
      needed = true;
    }
  }
  if (needed && !existing) {
    spec.volumes = [...volumes, { name: volumeName, projected: tokenVolumeSource() }];
  }
}

/** A pod without image pull secrets uses its account's. */
function copyImagePullSecrets(account: KubeObject, spec: JsonRecord): void {
  if (recordList(spec.imagePullSecrets).length > 0) return;
  const names = recordList(account.imagePullSecrets).map((s) => stringOf(s.name));
  if (names.length > 0) spec.imagePullSecrets = names.map((name) => ({ name }));
}

function mirrorPodProblem(pod: KubeObject): string | undefined {
  const spec = recordOf(pod.spec) ?? {};
  if (stringOf(spec.serviceAccountName) || stringOf(spec.serviceAccount)) {
    return "a mirror pod may not reference service accounts";
  }
  if (podSecretNames(spec).length > 0) return "a mirror pod may not reference secrets";
  for (const volume of recordList(spec.volumes)) {
    const sources = recordList(recordOf(volume.projected)?.sources);
    if (sources.some((source) => isRecord(source.serviceAccountToken))) {
      return "a mirror pod may not use ServiceAccountToken volume projections";
    }
  }
  return undefined;
}

function allContainers(spec: JsonRecord): JsonRecord[] {
  return [
    ...recordList(spec.initContainers),
    ...recordList(spec.containers),
    ...recordList(spec.ephemeralContainers),
  ];
}

/** Every secret a pod refers to (upstream VisitPodSecretNames). */
function podSecretNames(spec: JsonRecord): string[] {
  const names = recordList(spec.imagePullSecrets).map((s) => stringOf(s.name));
  for (const container of allContainers(spec)) {
    for (const from of recordList(container.envFrom)) {
      names.push(stringOf(recordOf(from.secretRef)?.name));
    }
    for (const env of recordList(container.env)) {
      const ref = recordOf(recordOf(env.valueFrom)?.secretKeyRef);
      if (ref) names.push(stringOf(ref.name));
    }
  }
  for (const volume of recordList(spec.volumes)) names.push(...volumeSecretNames(volume));
  return names.filter((name) => name !== "");
}

/** Secrets a volume source names: secret volumes, projections, and plugins' secretRefs. */
function volumeSecretNames(volume: JsonRecord): string[] {
  const names: string[] = [];
  const secret = recordOf(volume.secret);
  if (secret) names.push(stringOf(secret.secretName));
  for (const source of recordList(recordOf(volume.projected)?.sources)) {
    const projected = recordOf(source.secret);
    if (projected) names.push(stringOf(projected.name));
  }
  for (const [field, value] of Object.entries(volume)) {
    const source = recordOf(value);
    if (!source || field === "secret" || field === "projected") continue;
    for (const refField of ["secretRef", "nodePublishSecretRef", "controllerPublishSecretRef"]) {
      const ref = recordOf(source[refField]);
      if (ref) names.push(stringOf(ref.name));
    }
    if (field === "azureFile") names.push(stringOf(source.secretName));
  }
  return names;
}

function enforcesMountableSecrets(account: KubeObject): boolean {
  return account.metadata?.annotations?.[ENFORCE_MOUNTABLE_SECRETS_ANNOTATION] === "true";
}

/** The first secret reference the account does not allow, as upstream words it. */
function unlistedSecretReference(account: KubeObject, spec: JsonRecord): string | undefined {
  const accountName = account.metadata?.name ?? "";
  const mountable = new Set(recordList(account.secrets).map((s) => stringOf(s.name)));
  const suffix = `is not allowed because service account ${accountName} does not reference that secret`;
  for (const volume of recordList(spec.volumes)) {
    const secret = recordOf(volume.secret);
    const name = stringOf(secret?.secretName);
    if (secret && !mountable.has(name)) return `volume with secret.secretName="${name}" ${suffix}`;
  }
  const groups: [string, JsonRecord[]][] = [
    ["init container", recordList(spec.initContainers)],
    ["container", recordList(spec.containers)],
  ];
  for (const [label, containers] of groups) {
    for (const container of containers) {
      for (const env of recordList(container.env)) {
        const ref = recordOf(recordOf(env.valueFrom)?.secretKeyRef);
        if (ref && !mountable.has(stringOf(ref.name))) {
          return `${label} ${stringOf(container.name)} with envVar ${stringOf(env.name)} referencing secret.secretName="${stringOf(ref.name)}" ${suffix}`;
        }
      }
    }
  }
  const pullable = new Set(recordList(account.imagePullSecrets).map((s) => stringOf(s.name)));
  const pullSecrets = recordList(spec.imagePullSecrets);
  for (const [index, ref] of pullSecrets.entries()) {
    const name = stringOf(ref.name);
    if (!pullable.has(name)) {
      return `imagePullSecrets[${index}].name="${name}" is not allowed because service account ${accountName} does not reference that imagePullSecret`;
    }
  }
  return undefined;
}
