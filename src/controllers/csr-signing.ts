/**
 * CSR signing controller (upstream's csrsigning for the kubelet client, kube-apiserver
 * client and kubelet serving signers, all with the cluster CA).
 * Reconciles: Approved CertificateSigningRequests of those signers that have no
 * certificate, are not Denied and have not Failed. Writes, through the `status`
 * subresource, either the certificate or a Failed condition when the request breaks its
 * signer's rules. Owns nothing. Watches: certificatesigningrequests.
 */
import type { Informer } from "../client/informer.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import type { CertificateAuthority, ExtendedUsage } from "../tls/certificate-authority.ts";
import {
  type ControllerClient,
  ControllerLoop,
  enqueueChanges,
  PermanentError,
} from "./controller.ts";
import {
  CSR_COLLECTION,
  csrPath,
  csrSpec,
  hasCertificate,
  hasCondition,
  type ParsedRequest,
  parseCertificateRequest,
  withCondition,
} from "./csr-request.ts";
import { KNOWN_SIGNERS, signerProblem } from "./csr-rules.ts";
import type { SharedInformers } from "./shared-informers.ts";

/** kube-controller-manager's default --cluster-signing-duration: one year. */
export const DEFAULT_SIGNING_DURATION_SECONDS = 365 * 24 * 60 * 60;
/**
 * Upstream's floor for spec.expirationSeconds: twice the 5-minute backdate, so a
 * certificate is never mostly spent before the requester's clock agrees it is valid.
 */
export const MIN_SIGNING_DURATION_SECONDS = 600;

export interface CsrSigningOptions {
  client: ControllerClient;
  informers: SharedInformers;
  ca: CertificateAuthority;
  log: Logger;
  /** Longest certificate issued; shorter ones when a CSR asks (spec.expirationSeconds). */
  clusterSigningDurationSeconds?: number;
  now?: () => Date;
}

export class CsrSigningController {
  readonly csrs: Informer;
  readonly loop: ControllerLoop;
  readonly #options: CsrSigningOptions;
  readonly #maxSeconds: number;
  readonly #now: () => Date;

  constructor(options: CsrSigningOptions) {
    this.#options = options;
    this.#maxSeconds = options.clusterSigningDurationSeconds ?? DEFAULT_SIGNING_DURATION_SECONDS;
    if (!(this.#maxSeconds >= MIN_SIGNING_DURATION_SECONDS)) {
      throw new Error(
        `cluster signing duration must be at least ${MIN_SIGNING_DURATION_SECONDS} seconds, got ${this.#maxSeconds}`,
      );
    }
    this.#now = options.now ?? (() => new Date());
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.csrs = options.informers.informer({ path: CSR_COLLECTION });
    enqueueChanges(this.csrs, this.loop);
  }

  async sync(name: string): Promise<void> {
    const csr = this.csrs.store.get(name);
    if (!csr || !isReadyToSign(csr)) return;
    const spec = csrSpec(csr);
    if (!KNOWN_SIGNERS.includes(spec.signerName)) return;
    let req: ParsedRequest;
    try {
      req = parseCertificateRequest(spec.request);
    } catch (error) {
      throw new PermanentError(`unable to parse csr "${name}": ${(error as Error).message}`);
    }
    // The API server checks the request's shape only; proof of key possession is ours to check.
    const problem = (await req.request.verify().catch(() => false))
      ? signerProblem(spec.signerName, req, spec.usages)
      : "certificate signing request has an invalid signature";
    if (problem) {
      await this.#fail(csr, problem);
      return;
    }
    const now = this.#now();
    const seconds = certificateLifetimeSeconds({
      expirationSeconds: spec.expirationSeconds,
      maxSeconds: this.#maxSeconds,
      caNotAfter: this.#options.ca.notAfter,
      now,
    });
    const certPem = await this.#options.ca.signCsr(req.request.toString("pem"), {
      usages: extendedUsages(spec.usages),
      validityDays: seconds / 86_400,
    });
    const signed = structuredClone(csr);
    signed.status = { ...(signed.status as object), certificate: btoa(certPem) };
    await this.#options.client.updateStatus(csrPath(name), signed);
    this.#options.log.info("signed certificate signing request", {
      csr: name,
      signer: spec.signerName,
      seconds,
    });
  }

  async #fail(csr: KubeObject, message: string): Promise<void> {
    const name = csr.metadata?.name ?? "";
    const failed = withCondition(
      csr,
      { type: "Failed", reason: "SignerValidationFailure", message },
      this.#now(),
    );
    await this.#options.client.updateStatus(csrPath(name), failed);
    this.#options.log.info("refused certificate signing request", { csr: name, message });
  }
}

/** Approved, neither Denied nor Failed, and not signed yet. */
export function isReadyToSign(csr: KubeObject): boolean {
  return (
    hasCondition(csr, "Approved") &&
    !hasCondition(csr, "Denied") &&
    !hasCondition(csr, "Failed") &&
    !hasCertificate(csr)
  );
}

/**
 * The certificate's lifetime: what the CSR asks for, at least the 10-minute floor and
 * at most the cluster signing duration; never past the CA's own expiry.
 */
export function certificateLifetimeSeconds(options: {
  expirationSeconds: number | undefined;
  maxSeconds: number;
  caNotAfter: Date;
  now: Date;
}): number {
  const { expirationSeconds, maxSeconds } = options;
  const requested =
    expirationSeconds === undefined
      ? maxSeconds
      : Math.min(Math.max(expirationSeconds, MIN_SIGNING_DURATION_SECONDS), maxSeconds);
  const caRemaining = Math.floor((options.caNotAfter.getTime() - options.now.getTime()) / 1000);
  if (caRemaining <= 0) throw new Error("the cluster CA certificate has expired");
  return Math.min(requested, caRemaining);
}

/** The extended key usages among a CSR's usages; key usages are the CA's to set. */
export function extendedUsages(usages: readonly string[]): ExtendedUsage[] {
  const result: ExtendedUsage[] = [];
  if (usages.includes("client auth")) result.push("clientAuth");
  if (usages.includes("server auth")) result.push("serverAuth");
  return result;
}
