/**
 * CertificateSigning admission (upstream plugin/pkg/admission/certificates/signing): a
 * write to a CertificateSigningRequest's `status` subresource that changes
 * status.certificate or status.conditions (issuing, or marking Failed) needs the `sign`
 * verb on `signers` for the request's signerName or its domain wildcard. Status writes
 * that change neither pass.
 */
import { isDeepStrictEqual } from "node:util";
import type { Authorizer } from "../../auth/types.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { forbidden } from "../errors/status-error.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";
import {
  csrSubject,
  isAuthorizedForSignerName,
  isCsrUpdate,
  requestUser,
  signerNameOf,
} from "./certificate-approval.ts";

export class CertificateSigning implements AdmissionPlugin {
  readonly name = "CertificateSigning";

  constructor(private readonly authorizer: Authorizer) {}

  async validate(request: AdmissionRequest): Promise<void> {
    if (!isCsrUpdate(request, "status")) return;
    const old = request.oldObject;
    if (old && !signingChanged(old, request.object)) return;
    const signerName = signerNameOf(old ?? request.object);
    if (isAuthorizedForSignerName(this.authorizer, requestUser(request), "sign", signerName)) {
      return;
    }
    throw forbidden(
      csrSubject(request),
      `user not permitted to sign requests with signerName "${signerName}"`,
    );
  }
}

/**
 * Whether status.certificate or status.conditions differ. Like upstream's semantic
 * equality, an absent list equals an empty one (and an absent certificate an empty one).
 */
export function signingChanged(old: KubeObject, next: KubeObject): boolean {
  const status = (object: KubeObject) =>
    (object.status ?? {}) as { certificate?: unknown; conditions?: unknown };
  const certificate = (object: KubeObject) => status(object).certificate || "";
  const conditions = (object: KubeObject) => {
    const list = status(object).conditions;
    return Array.isArray(list) ? list : [];
  };
  return (
    certificate(old) !== certificate(next) || !isDeepStrictEqual(conditions(old), conditions(next))
  );
}
