/**
 * Defaults of a PodSpec and everything inside it (upstream SetDefaults_PodSpec,
 * _Container, _Volume, _Probe … in pkg/apis/core/v1/defaults.go, plus the `+default`
 * markers of core/v1). Pods, pod templates and every workload's template share them;
 * `defaultPodOnly` holds the few that upstream applies to Pods alone.
 */
import { typeSchema } from "../../schema/schema.ts";
import { isRecord, type JsonRecord, recordList, recordOf, stringOf } from "./json-value.ts";
import { canonicalizeResourceList } from "./resource-requirements.ts";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_TERMINATION_MESSAGE_PATH = "/dev/termination-log";
/** 0644: the mode of files projected from Secrets, ConfigMaps and the downward API. */
const defaultFileMode = 0o644;
/** An hour: the lifetime of a projected service-account token unless asked otherwise. */
const defaultTokenExpirationSeconds = 3600;

/** The JSON names of every volume source (`emptyDir`, `hostPath`, …), from the schema. */
export const VOLUME_SOURCE_FIELDS: readonly string[] = (
  typeSchema("core/v1.VolumeSource")?.fields ?? []
).map((field) => field.json);

export function defaultPodTemplateSpec(template: unknown): void {
  const spec = recordOf(recordOf(template)?.spec);
  if (spec) defaultPodSpec(spec);
}

export function defaultPodSpec(spec: JsonRecord): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = "ClusterFirst";
  if (!spec.restartPolicy) spec.restartPolicy = "Always";
  if (!isRecord(spec.securityContext)) spec.securityContext = {};
  if (
    spec.terminationGracePeriodSeconds === undefined ||
    spec.terminationGracePeriodSeconds === null
  ) {
    spec.terminationGracePeriodSeconds = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  }
  if (!spec.schedulerName) spec.schedulerName = DEFAULT_SCHEDULER_NAME;
  for (const container of recordList(spec.containers)) defaultContainer(container);
  for (const container of recordList(spec.initContainers)) defaultContainer(container);
  for (const container of recordList(spec.ephemeralContainers)) defaultContainer(container);
  for (const volume of recordList(spec.volumes)) defaultVolume(volume);
  const overhead = spec.overhead;
  if (isRecord(overhead)) canonicalizeResourceList(overhead);
}

/**
 * Upstream SetDefaults_Pod: requests default to limits (so a pod with only limits is
 * Guaranteed), service links are on, and with host networking every container port is
 * also a host port.
 */
export function defaultPodOnly(spec: JsonRecord): void {
  for (const list of [spec.containers, spec.initContainers]) {
    for (const container of recordList(list)) {
      const resources = recordOf(container.resources);
      const limits = recordOf(resources?.limits);
      if (!resources || !limits) continue;
      const requests = recordOf(resources.requests) ?? {};
      for (const [name, value] of Object.entries(limits)) {
        if (!(name in requests)) requests[name] = value;
      }
      resources.requests = requests;
    }
  }
  if (spec.enableServiceLinks === undefined || spec.enableServiceLinks === null) {
    spec.enableServiceLinks = true;
  }
  if (spec.hostNetwork === true) {
    for (const list of [spec.containers, spec.initContainers]) {
      for (const container of recordList(list)) {
        for (const port of recordList(container.ports)) {
          if (!port.hostPort) port.hostPort = port.containerPort;
        }
      }
    }
  }
}

export function defaultContainer(container: JsonRecord): void {
  if (!container.imagePullPolicy) {
    container.imagePullPolicy =
      imageTag(stringOf(container.image)) === "latest" ? "Always" : "IfNotPresent";
  }
  if (!container.terminationMessagePath) {
    container.terminationMessagePath = DEFAULT_TERMINATION_MESSAGE_PATH;
  }
  if (!container.terminationMessagePolicy) container.terminationMessagePolicy = "File";
  for (const port of recordList(container.ports)) {
    if (!port.protocol) port.protocol = "TCP";
  }
  for (const env of recordList(container.env)) {
    defaultFieldRef(recordOf(recordOf(env.valueFrom)?.fieldRef));
  }
  for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
    if (isRecord(probe)) defaultProbe(probe);
  }
  const lifecycle = recordOf(container.lifecycle);
  for (const handler of [lifecycle?.postStart, lifecycle?.preStop]) {
    defaultHTTPGet(recordOf(recordOf(handler)?.httpGet));
  }
  const resources = recordOf(container.resources);
  canonicalizeResourceList(resources?.limits);
  canonicalizeResourceList(resources?.requests);
}

/**
 * The tag a pull would use: the one written, `latest` when there is neither a tag nor a
 * digest, and "" for references Docker would refuse (upper case in the repository),
 * which upstream reads as "not latest".
 */
export function imageTag(image: string): string {
  if (image === "") return "";
  const at = image.indexOf("@");
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf("/");
  const colon = name.indexOf(":", lastSlash + 1);
  const repository = colon >= 0 ? name.slice(0, colon) : name;
  if (/[A-Z]/.test(repository.slice(repository.indexOf("/") + 1))) return "";
  if (colon >= 0) return name.slice(colon + 1);
  return at >= 0 ? "" : "latest";
}

function defaultProbe(probe: JsonRecord): void {
  if (!probe.timeoutSeconds) probe.timeoutSeconds = 1;
  if (!probe.periodSeconds) probe.periodSeconds = 10;
  if (!probe.successThreshold) probe.successThreshold = 1;
  if (!probe.failureThreshold) probe.failureThreshold = 3;
  defaultHTTPGet(recordOf(probe.httpGet));
}

function defaultHTTPGet(httpGet: JsonRecord | undefined): void {
  if (!httpGet) return;
  if (!httpGet.path) httpGet.path = "/";
  if (!httpGet.scheme) httpGet.scheme = "HTTP";
}

function defaultFieldRef(fieldRef: JsonRecord | undefined): void {
  if (fieldRef && !fieldRef.apiVersion) fieldRef.apiVersion = "v1";
}

export function defaultVolume(volume: JsonRecord): void {
  if (!VOLUME_SOURCE_FIELDS.some((source) => isRecord(volume[source]))) volume.emptyDir = {};
  for (const source of ["secret", "configMap", "downwardAPI", "projected"]) {
    const value = recordOf(volume[source]);
    if (value && (value.defaultMode === undefined || value.defaultMode === null)) {
      value.defaultMode = defaultFileMode;
    }
  }
  for (const item of recordList(recordOf(volume.downwardAPI)?.items)) {
    defaultFieldRef(recordOf(item.fieldRef));
  }
  for (const source of recordList(recordOf(volume.projected)?.sources)) {
    const token = recordOf(source.serviceAccountToken);
    if (token && !token.expirationSeconds) token.expirationSeconds = defaultTokenExpirationSeconds;
    for (const item of recordList(recordOf(source.downwardAPI)?.items)) {
      defaultFieldRef(recordOf(item.fieldRef));
    }
  }
  const hostPath = recordOf(volume.hostPath);
  if (hostPath && (hostPath.type === undefined || hostPath.type === null)) hostPath.type = "";
  const image = recordOf(volume.image);
  if (image && !image.pullPolicy) {
    image.pullPolicy = imageTag(stringOf(image.reference)) === "latest" ? "Always" : "IfNotPresent";
  }
  const claimSpec = recordOf(recordOf(recordOf(volume.ephemeral)?.volumeClaimTemplate)?.spec);
  if (claimSpec && !claimSpec.volumeMode) claimSpec.volumeMode = "Filesystem";
  canonicalizeResourceList(recordOf(claimSpec?.resources)?.requests);
}
