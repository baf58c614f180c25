/**
 * CSR approving controller (upstream's csrapproving, plus kubelet serving certificates).
 * Reconciles: pending CertificateSigningRequests for the kubelet client and kubelet
 * serving signers. Owns nothing: it only adds an Approved condition through the
 * `approval` subresource, never denies (a human may still approve what it leaves).
 * Watches: certificatesigningrequests. Asks: SubjectAccessReviews, and GETs Nodes.
 */

import { isNotFound } from "../client/api-error.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import {
  type ControllerClient,
  ControllerLoop,
  enqueueChanges,
  IgnorableError,
  PermanentError,
} from "./controller.ts";
import {
  CSR_COLLECTION,
  type CsrSpec,
  csrPath,
  csrSpec,
  hasCertificate,
  hasCondition,
  KUBELET_CLIENT_SIGNER,
  KUBELET_SERVING_SIGNER,
  NODE_USER_PREFIX,
  NODES_GROUP,
  type ParsedRequest,
  parseCertificateRequest,
  withCondition,
} from "./csr-request.ts";
import { kubeletClientProblem, kubeletServingProblem, servingNameProblem } from "./csr-rules.ts";
import type { SharedInformers } from "./shared-informers.ts";

export type NodeClientSubresource = "nodeclient" | "selfnodeclient";

/** The outside facts an approval depends on; the controller asks the API for them. */
export interface ApprovalChecks {
  /** Whether the requester may create certificatesigningrequests/<subresource>. */
  mayCreate(subresource: NodeClientSubresource): Promise<boolean>;
  /** The Node of that name, undefined when it does not exist. */
  node(name: string): Promise<KubeObject | undefined>;
}

export type ApprovalDecision =
  | { approve: true; message: string }
  /** `retry`: the answer may change (RBAC granted, Node registered); else the CSR is not ours. */
  | { approve: false; retry: boolean; reason: string };

export interface CsrApprovingOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
  now?: () => Date;
}

export class CsrApprovingController {
  readonly csrs: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;
  readonly #log: Logger;
  readonly #now: () => Date;

  constructor(options: CsrApprovingOptions) {
    this.#client = options.client;
    this.#log = options.log;
    this.#now = options.now ?? (() => new Date());
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.csrs = options.informers.informer({ path: CSR_COLLECTION });
    enqueueChanges(this.csrs, this.loop);
  }

  async sync(name: string): Promise<void> {
    const csr = this.csrs.store.get(name);
    if (!csr || hasCertificate(csr) || hasCondition(csr, "Approved")) return;
    if (hasCondition(csr, "Denied")) return;
    const spec = csrSpec(csr);
    if (spec.signerName !== KUBELET_CLIENT_SIGNER && spec.signerName !== KUBELET_SERVING_SIGNER) {
      return;
    }
    let req: ParsedRequest;
    try {
      req = parseCertificateRequest(spec.request);
    } catch (error) {
      throw new PermanentError(`unable to parse csr "${name}": ${(error as Error).message}`);
    }
    const decision = await decideApproval(spec, req, {
      mayCreate: (subresource) => this.#mayCreate(spec, subresource),
      node: (nodeName) => this.#node(nodeName),
    });
    if (!decision.approve) {
      if (decision.retry) throw new IgnorableError(`csr "${name}": ${decision.reason}`);
      this.#log.debug("not auto-approving", { csr: name, reason: decision.reason });
      return;
    }
    const approved = withCondition(
      csr,
      { type: "Approved", reason: "AutoApproved", message: decision.message },
      this.#now(),
    );
    await this.#client.update(`${csrPath(name)}/approval`, approved);
    this.#log.info("approved certificate signing request", { csr: name, signer: spec.signerName });
  }

  async #mayCreate(spec: CsrSpec, subresource: NodeClientSubresource): Promise<boolean> {
    const path = resourcePath({
      group: "authorization.k8s.io",
      version: "v1",
      resource: "subjectaccessreviews",
    });
    const review = await this.#client.create(path, subjectAccessReview(spec, subresource));
    return (review.status as { allowed?: unknown } | undefined)?.allowed === true;
  }

  async #node(name: string): Promise<KubeObject | undefined> {
    try {
      return await this.#client.get(resourcePath({ version: "v1", resource: "nodes", name }));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

/**
 * Upstream's recognizers in upstream's order (a node renewing its own certificate, then
 * bootstrap), and this project's kubelet-serving rule: the requester is the node the
 * certificate names, and every SAN is one of that Node's own addresses.
 */
export async function decideApproval(
  spec: CsrSpec,
  req: ParsedRequest,
  checks: ApprovalChecks,
): Promise<ApprovalDecision> {
  if (spec.signerName === KUBELET_CLIENT_SIGNER) {
    const problem = kubeletClientProblem(req, spec.usages);
    if (problem) return { approve: false, retry: false, reason: problem };
    const tried: NodeClientSubresource[] = [];
    if (spec.username === req.commonName) {
      tried.push("selfnodeclient");
      if (await checks.mayCreate("selfnodeclient")) {
        return {
          approve: true,
          message: "Auto approving self kubelet client certificate after SubjectAccessReview.",
        };
      }
    }
    tried.push("nodeclient");
    if (await checks.mayCreate("nodeclient")) {
      return {
        approve: true,
        message: "Auto approving kubelet client certificate after SubjectAccessReview.",
      };
    }
    const reason = `recognized as [${tried.join(" ")}] but subject access review was not approved`;
    return { approve: false, retry: true, reason };
  }
  if (spec.signerName !== KUBELET_SERVING_SIGNER) {
    return {
      approve: false,
      retry: false,
      reason: `signer ${spec.signerName} is not auto-approved`,
    };
  }
  const problem = kubeletServingProblem(req, spec.usages);
  if (problem) return { approve: false, retry: false, reason: problem };
  if (spec.username !== req.commonName || !spec.groups.includes(NODES_GROUP)) {
    return { approve: false, retry: false, reason: "requester is not the node the CSR names" };
  }
  const nodeName = req.commonName.slice(NODE_USER_PREFIX.length);
  const node = await checks.node(nodeName);
  if (!node) return { approve: false, retry: true, reason: `node "${nodeName}" not found` };
  const mismatch = servingNameProblem(req, node);
  if (mismatch) return { approve: false, retry: true, reason: mismatch };
  return {
    approve: true,
    message: "Auto approving kubelet serving certificate after checking the node's addresses.",
  };
}

/** The SubjectAccessReview for the requester recorded in the CSR (user, uid, groups, extra). */
export function subjectAccessReview(spec: CsrSpec, subresource: NodeClientSubresource): KubeObject {
  return {
    apiVersion: "authorization.k8s.io/v1",
    kind: "SubjectAccessReview",
    spec: {
      user: spec.username,
      ...(spec.uid ? { uid: spec.uid } : {}),
      groups: spec.groups,
      ...(Object.keys(spec.extra).length > 0 ? { extra: spec.extra } : {}),
      resourceAttributes: {
        group: "certificates.k8s.io",
        resource: "certificatesigningrequests",
        subresource,
        verb: "create",
      },
    },
  };
}
