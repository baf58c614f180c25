/**
 * CertificateApproval admission (upstream plugin/pkg/admission/certificates/approval):
 * approving or denying a CertificateSigningRequest through its `approval` subresource
 * needs the `approve` verb on the synthetic resource `signers` (certificates.k8s.io),
 * named after the request's signerName or its domain wildcard ("example.com/*").
 * Also the home of the signer check the CertificateSigning plugin shares.
 */
import type { Authorizer, UserInfo } from "../../auth/types.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { forbidden, type Subject } from "../errors/status-error.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";

export const CERTIFICATES_GROUP = "certificates.k8s.io";
export const CSR_RESOURCE = "certificatesigningrequests";

/**
 * Whether `user` may `verb` the signer `signerName`: upstream's IsAuthorizedForSignerName
 * asks for the exact name first, then for "<domain>/*" (the part before the first "/").
 */
export function isAuthorizedForSignerName(
  authorizer: Authorizer,
  user: UserInfo,
  verb: string,
  signerName: string,
): boolean {
  const domain = signerName.split("/")[0] ?? "";
  return [signerName, `${domain}/*`].some(
    (name) =>
      authorizer.authorize({
        user,
        verb,
        resourceRequest: true,
        path: "",
        apiGroup: CERTIFICATES_GROUP,
        apiVersion: "*",
        resource: "signers",
        subresource: "",
        namespace: "",
        name,
      }).decision === "allow",
  );
}

/** Whether a request writes the CSR resource's `subresource` with an UPDATE. */
export function isCsrUpdate(request: AdmissionRequest, subresource: string): boolean {
  return (
    request.operation === "UPDATE" &&
    request.subresource === subresource &&
    request.kind.group === CERTIFICATES_GROUP &&
    request.kind.resource === CSR_RESOURCE
  );
}

/** The requesting user as the authorizer sees it. */
export function requestUser(request: AdmissionRequest): UserInfo {
  const { user, groups, uid, extra } = request.context;
  return {
    user,
    groups,
    ...(uid !== undefined ? { uid } : {}),
    ...(extra !== undefined ? { extra } : {}),
  };
}

export function signerNameOf(csr: KubeObject | null): string {
  const signerName = (csr?.spec as { signerName?: unknown } | undefined)?.signerName;
  return typeof signerName === "string" ? signerName : "";
}

export function csrSubject(request: AdmissionRequest): Subject {
  return {
    group: CERTIFICATES_GROUP,
    resource: CSR_RESOURCE,
    name: request.oldObject?.metadata?.name ?? request.object.metadata?.name ?? "",
  };
}

export class CertificateApproval implements AdmissionPlugin {
  readonly name = "CertificateApproval";

  constructor(private readonly authorizer: Authorizer) {}

  async validate(request: AdmissionRequest): Promise<void> {
    if (!isCsrUpdate(request, "approval")) return;
    // The old object's signer: the approval endpoint never changes the spec, and a body
    // that claims another signer must not pick the permission that is checked.
    const signerName = signerNameOf(request.oldObject ?? request.object);
    if (isAuthorizedForSignerName(this.authorizer, requestUser(request), "approve", signerName)) {
      return;
    }
    throw forbidden(
      csrSubject(request),
      `user not permitted to approve requests with signerName "${signerName}"`,
    );
  }
}
