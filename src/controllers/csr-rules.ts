/**
 * What each built-in signer accepts (upstream's pkg/apis/certificates helpers and the
 * signer's usage checks), with upstream's messages: the signer writes them into a
 * Failed condition, and the approver uses the same rules to recognise node requests.
 * Each function returns the first problem, or undefined when the request is acceptable.
 */
import type { KubeObject } from "../resources/kind.ts";
import { canonicalIp } from "../tls/ip-address.ts";
import {
  KUBE_APISERVER_CLIENT_SIGNER,
  KUBELET_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
  NODE_USER_PREFIX,
  NODES_GROUP,
  type ParsedRequest,
} from "./csr-request.ts";

// "key encipherment" only means something for RSA keys, so either set is accepted.
const KUBELET_CLIENT_USAGES = ["client auth", "digital signature", "key encipherment"];
const KUBELET_CLIENT_USAGES_NO_RSA = ["client auth", "digital signature"];
const KUBELET_SERVING_USAGES = ["digital signature", "key encipherment", "server auth"];
const KUBELET_SERVING_USAGES_NO_RSA = ["digital signature", "server auth"];
const OPTIONAL_CLIENT_USAGES = ["digital signature", "key encipherment"];

export function kubeletClientProblem(
  req: ParsedRequest,
  usages: readonly string[],
): string | undefined {
  if (!isOnlyNodesOrganization(req)) return "subject organization is not system:nodes";
  if (req.dnsNames.length > 0) return "DNS subjectAltNames are not allowed";
  if (req.emailAddresses.length > 0) return "Email subjectAltNames are not allowed";
  if (req.ipAddresses.length > 0) return "IP subjectAltNames are not allowed";
  if (req.uris.length > 0) return "URI subjectAltNames are not allowed";
  if (!req.commonName.startsWith(NODE_USER_PREFIX)) {
    return "subject common name does not begin with system:node:";
  }
  if (!sameSet(usages, KUBELET_CLIENT_USAGES) && !sameSet(usages, KUBELET_CLIENT_USAGES_NO_RSA)) {
    return `usages did not match [${KUBELET_CLIENT_USAGES.join(" ")}]`;
  }
  return undefined;
}

export function kubeletServingProblem(
  req: ParsedRequest,
  usages: readonly string[],
): string | undefined {
  if (!isOnlyNodesOrganization(req)) return "subject organization is not system:nodes";
  if (req.dnsNames.length === 0 && req.ipAddresses.length === 0) {
    return "DNS or IP subjectAltName is required";
  }
  if (req.emailAddresses.length > 0) return "Email subjectAltNames are not allowed";
  if (req.uris.length > 0) return "URI subjectAltNames are not allowed";
  if (!sameSet(usages, KUBELET_SERVING_USAGES) && !sameSet(usages, KUBELET_SERVING_USAGES_NO_RSA)) {
    return `usages did not match [${KUBELET_SERVING_USAGES.join(" ")}]`;
  }
  if (!req.commonName.startsWith(NODE_USER_PREFIX)) {
    return "subject common name does not begin with system:node:";
  }
  return undefined;
}

/** kube-apiserver-client: any subject, client auth required, nothing beyond signing usages. */
export function apiServerClientProblem(usages: readonly string[]): string | undefined {
  for (const usage of usages) {
    if (usage !== "client auth" && !OPTIONAL_CLIENT_USAGES.includes(usage)) {
      return `invalid usage for client certificate: ${usage}`;
    }
  }
  if (!usages.includes("client auth")) {
    return "missing required usage for client certificate: client auth";
  }
  return undefined;
}

/** The signers this cluster's CA signs for. */
export const KNOWN_SIGNERS: readonly string[] = [
  KUBELET_CLIENT_SIGNER,
  KUBE_APISERVER_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
];

/** Why `signerName` must not sign this request; undefined also for signers not listed above. */
export function signerProblem(
  signerName: string,
  req: ParsedRequest,
  usages: readonly string[],
): string | undefined {
  if (signerName === KUBELET_CLIENT_SIGNER) return kubeletClientProblem(req, usages);
  if (signerName === KUBELET_SERVING_SIGNER) return kubeletServingProblem(req, usages);
  if (signerName === KUBE_APISERVER_CLIENT_SIGNER) return apiServerClientProblem(usages);
  return undefined;
}

/**
 * Why the serving SANs are not the Node's own: IPs must be among its addresses, DNS names
 * among its Hostname/InternalDNS/ExternalDNS addresses (the kubelet puts all three kinds in
 * its request). Retried, since a kubelet may ask before its addresses are posted.
 */
export function servingNameProblem(req: ParsedRequest, node: KubeObject): string | undefined {
  const addresses = (node.status as { addresses?: unknown } | undefined)?.addresses;
  const ips = new Set<string>();
  const names = new Set<string>();
  for (const entry of Array.isArray(addresses) ? addresses : []) {
    const { type, address } = (entry ?? {}) as { type?: unknown; address?: unknown };
    if (typeof address !== "string") continue;
    if (type === "Hostname" || type === "InternalDNS" || type === "ExternalDNS") {
      names.add(address.toLowerCase());
    } else {
      const ip = ipOrUndefined(address);
      if (ip) ips.add(ip);
    }
  }
  const ip = req.ipAddresses.find((candidate) => !ips.has(candidate));
  if (ip) return `IP address ${ip} is not one of the node's addresses`;
  const dns = req.dnsNames.find((candidate) => !names.has(candidate.toLowerCase()));
  if (dns) return `DNS name ${dns} is not one of the node's host names`;
  return undefined;
}

// Go's reflect.DeepEqual([]string{"system:nodes"}, Subject.Organization): exactly one O.
function isOnlyNodesOrganization(req: ParsedRequest): boolean {
  return req.organizations.length === 1 && req.organizations[0] === NODES_GROUP;
}

function sameSet(values: readonly string[], expected: readonly string[]): boolean {
  const set = new Set(values);
  return set.size === expected.length && expected.every((value) => set.has(value));
}

function ipOrUndefined(text: string): string | undefined {
  try {
    return canonicalIp(text);
  } catch {
    return undefined;
  }
}
