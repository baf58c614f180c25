/**
 * CertificateSubjectRestriction admission (upstream
 * plugin/pkg/admission/certificates/subjectrestriction): a CertificateSigningRequest for
 * the kubernetes.io/kube-apiserver-client signer may not ask for the system:masters
 * group (O=system:masters in its PKCS#10 subject), whoever creates it: such a
 * certificate, once approved and signed, would bypass every authorizer.
 */
import "reflect-metadata";
import {
  KUBE_APISERVER_CLIENT_SIGNER,
  parseCertificateRequest,
} from "../../controllers/csr-request.ts";
import { forbidden } from "../errors/status-error.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";
import {
  CERTIFICATES_GROUP,
  CSR_RESOURCE,
  csrSubject,
  signerNameOf,
} from "./certificate-approval.ts";

const SYSTEM_MASTERS = "system:masters";

export class CertificateSubjectRestriction implements AdmissionPlugin {
  readonly name = "CertificateSubjectRestriction";

  async validate(request: AdmissionRequest): Promise<void> {
    if (
      request.operation !== "CREATE" ||
      request.subresource !== "" ||
      request.kind.group !== CERTIFICATES_GROUP ||
      request.kind.resource !== CSR_RESOURCE
    ) {
      return;
    }
    if (signerNameOf(request.object) !== KUBE_APISERVER_CLIENT_SIGNER) return;
    const spec = (request.object.spec ?? {}) as { request?: unknown };
    let organizations: string[];
    try {
      organizations = parseCertificateRequest(
        typeof spec.request === "string" ? spec.request : "",
      ).organizations;
    } catch (error) {
      throw forbidden(
        csrSubject(request),
        `failed to parse CSR: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (organizations.includes(SYSTEM_MASTERS)) {
      throw forbidden(
        csrSubject(request),
        `use of ${KUBE_APISERVER_CLIENT_SIGNER} signer with ${SYSTEM_MASTERS} group is not allowed`,
      );
    }
  }
}
