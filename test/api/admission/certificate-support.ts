/** Fixtures for the certificate admission plugin tests: a recording authorizer and CSRs. */
import type { AdmissionRequest } from "../../../src/api/admission/admission.ts";
import type { Attributes, Authorizer } from "../../../src/auth/types.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { kind, type RequestOptions, request } from "./support.ts";

export const csrKind = kind("certificates.k8s.io", "v1", "certificatesigningrequests");

/**
 * Allows "user verb name" triples on certificates.k8s.io signers (and everything for
 * system:masters, as the real chain does); records every question it is asked.
 */
export class SignerAuthorizer implements Authorizer {
  readonly asked: Attributes[] = [];
  private readonly grants = new Set<string>();

  grant(user: string, verb: string, name: string): this {
    this.grants.add(`${user} ${verb} ${name}`);
    return this;
  }

  authorize(attributes: Attributes) {
    this.asked.push(attributes);
    if (attributes.user.groups.includes("system:masters")) {
      return { decision: "allow" as const, reason: "" };
    }
    const signer =
      attributes.resourceRequest &&
      attributes.apiGroup === "certificates.k8s.io" &&
      attributes.resource === "signers" &&
      attributes.subresource === "" &&
      attributes.namespace === "";
    const key = `${attributes.user.user} ${attributes.verb} ${attributes.name}`;
    return signer && this.grants.has(key)
      ? { decision: "allow" as const, reason: "" }
      : { decision: "no-opinion" as const, reason: "" };
  }
}

export function csr(
  name: string,
  signerName: string,
  status: Record<string, unknown> = {},
  request = "",
): KubeObject {
  return {
    apiVersion: "certificates.k8s.io/v1",
    kind: "CertificateSigningRequest",
    metadata: { name, uid: `uid-${name}` },
    spec: { request, signerName, usages: ["client auth"], username: "someone" },
    status,
  };
}

/** An UPDATE of `subresource` from `old` to `next`, by `user` in `groups`. */
export function csrUpdate(
  old: KubeObject,
  next: KubeObject,
  subresource: string,
  user = "alice",
  groups: string[] = [],
): AdmissionRequest {
  const options: RequestOptions = { operation: "UPDATE", oldObject: old, subresource };
  const req = request(csrKind, next, options);
  req.context = { ...req.context, user, groups };
  return req;
}

export const approved = {
  type: "Approved",
  status: "True",
  reason: "AdminApproved",
  message: "ok",
  lastUpdateTime: "2030-01-01T00:00:00Z",
};
