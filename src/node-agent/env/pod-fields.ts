/**
 * Downward API object fields (`fieldRef`): what a container may read about its
 * own pod, for env vars and downwardAPI volume files, formatted as the kubelet
 * does (labels and annotations as sorted `key="value"` lines).
 */
import type { KubeObject } from "../../resources/kind.ts";

/** IPs the agent knows before the API does (the node's, the pod's sandbox). */
export interface RuntimeIps {
  hostIp?: string;
  hostIps?: string[];
  podIp?: string;
  podIps?: string[];
}

interface PodFields {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { nodeName?: string; serviceAccountName?: string };
  status?: {
    hostIP?: string;
    hostIPs?: { ip?: string }[];
    podIP?: string;
    podIPs?: { ip?: string }[];
  };
}

/**
 * The value of `fieldPath` for `pod`. IPs come from `ips` when given (the
 * kubelet uses the sandbox's IPs: the pod's status may not carry them yet),
 * else from the pod's status. Throws for fields the downward API has not.
 */
export function podFieldValue(pod: KubeObject, fieldPath: string, ips: RuntimeIps = {}): string {
  const fields = pod as PodFields;
  const meta = fields.metadata ?? {};
  const subscripted = splitSubscript(fieldPath);
  if (subscripted) {
    if (subscripted.path === "metadata.labels") return meta.labels?.[subscripted.key] ?? "";
    if (subscripted.path === "metadata.annotations") {
      return meta.annotations?.[subscripted.key] ?? "";
    }
    throw new Error(`fieldPath "${fieldPath}" does not support subscript`);
  }
  const status = fields.status ?? {};
  const podIps = ips.podIps ?? ipList(status.podIPs, status.podIP);
  const hostIps = ips.hostIps ?? ipList(status.hostIPs, status.hostIP);
  switch (fieldPath) {
    case "metadata.name":
      return meta.name ?? "";
    case "metadata.namespace":
      return meta.namespace ?? "";
    case "metadata.uid":
      return meta.uid ?? "";
    case "metadata.labels":
      return formatMap(meta.labels);
    case "metadata.annotations":
      return formatMap(meta.annotations);
    case "spec.nodeName":
      return fields.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return fields.spec?.serviceAccountName ?? "";
    case "status.hostIP":
      return ips.hostIp ?? hostIps[0] ?? "";
    case "status.hostIPs":
      return (hostIps.length ? hostIps : ips.hostIp ? [ips.hostIp] : []).join(",");
    case "status.podIP":
      return ips.podIp ?? podIps[0] ?? "";
    case "status.podIPs":
      return (podIps.length ? podIps : ips.podIp ? [ips.podIp] : []).join(",");
  }
  throw new Error(`unsupported fieldPath: ${fieldPath}`);
}

function ipList(list: { ip?: string }[] | undefined, single: string | undefined): string[] {
  const ips = (list ?? []).map((entry) => entry.ip ?? "").filter((ip) => ip !== "");
  return ips.length > 0 ? ips : single ? [single] : [];
}

/** `metadata.labels['app']` → path and key; upstream splits at the first `['`. */
function splitSubscript(fieldPath: string): { path: string; key: string } | undefined {
  if (!fieldPath.endsWith("']")) return undefined;
  const inner = fieldPath.slice(0, -2);
  const open = inner.indexOf("['");
  if (open <= 0) return undefined;
  return { path: inner.slice(0, open), key: inner.slice(open + 2) };
}

/** Sorted `key="value"` lines, values quoted as Go's %q does, no trailing newline. */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((key) => `${key}=${goQuote(map?.[key] ?? "")}`)
    .join("\n");
}

const shortEscapes: Record<string, string> = {
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  '"': '\\"',
  "\\": "\\\\",
};
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/** Go's strconv.Quote: printable characters kept, the rest escaped. */
export function goQuote(value: string): string {
  let out = '"';
  for (const char of value) {
    const short = shortEscapes[char];
    if (short) out += short;
    else if (printable.test(char)) out += char;
    else {
      const code = char.codePointAt(0) ?? 0;
      if (code < 0x80) out += `\\x${code.toString(16).padStart(2, "0")}`;
      else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, "0")}`;
      else out += `\\U${code.toString(16).padStart(8, "0")}`;
    }
  }
  return `${out}"`;
}
