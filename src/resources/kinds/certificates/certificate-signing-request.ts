/**
 * certificates.k8s.io/v1 CertificateSigningRequest: how nodes and users obtain client
 * certificates from the cluster CA. The requester's identity comes from the request, not
 * the body; approval and issuing go through their own subresources, each allowed to
 * change only its part of the status. Validation in
 * certificate-signing-request.validation.ts.
 */
import type { KindDefinition, KubeObject, RequestContext } from "../../kind.ts";
import type { FieldError } from "../../validation/field-error.ts";
import { ensureRecord, recordOf, stringOf } from "../core/json-value.ts";
import {
  validateCertificateSigningRequest,
  validateCertificateSigningRequestUpdate,
} from "./certificate-signing-request.validation.ts";

export const certificateSigningRequestKind: KindDefinition = {
  group: "certificates.k8s.io",
  version: "v1",
  kind: "CertificateSigningRequest",
  resource: "certificatesigningrequests",
  singular: "certificatesigningrequest",
  namespaced: false,
  shortNames: ["csr"],
  schemaRef: "certificates/v1.CertificateSigningRequest",
  hasStatus: true,
  subresources: ["status", "approval"],
  // The spec never changes after creation, so there is no generation to track.
  tracksGeneration: false,

  prepareForCreate: prepareCertificateSigningRequestCreate,
  prepareForUpdate(object, old) {
    object.spec = structuredClone(old.spec ?? {});
    object.status = structuredClone(old.status ?? {});
  },
  validate: (object) => validateCertificateSigningRequest(object),
  validateUpdate: (object, old) => validateCertificateSigningRequestUpdate(object, old),
  subresourceStrategies: {
    // `kubectl certificate approve|deny` writes the Approved/Denied conditions here only.
    approval: {
      prepare: (object, old) => prepareCertificateSigningRequestApproval(object, old),
      validate: (object, old) => validateCertificateSigningRequestApproval(object, old),
    },
  },
  selectableFields: (object) => ({
    "spec.signerName": stringOf(recordOf(object.spec)?.signerName),
  }),
};

/**
 * Records who asked (signers and approvers decide on it) and starts with an empty status:
 * nobody can create a pre-approved request. The request context carries no uid or extra
 * attributes, so those are cleared rather than trusted from the body.
 */
export function prepareCertificateSigningRequestCreate(
  object: KubeObject,
  context: RequestContext,
): void {
  const spec = ensureRecord(object, "spec");
  delete spec.uid;
  delete spec.extra;
  spec.username = context.user;
  if (context.groups.length > 0) spec.groups = [...context.groups];
  else delete spec.groups;
  object.status = {};
}

/**
 * The `approval` subresource's strategy (upstream's csrApprovalStrategy): of the whole
 * object only `status.conditions` is taken from the request. The API layer calls this
 * instead of prepareForUpdate, then validate and validateCertificateSigningRequestApproval.
 */
export function prepareCertificateSigningRequestApproval(
  object: KubeObject,
  old: KubeObject,
): void {
  const conditions = recordOf(object.status)?.conditions;
  object.spec = structuredClone(old.spec ?? {});
  const status = structuredClone(recordOf(old.status) ?? {});
  if (conditions === undefined) delete status.conditions;
  else status.conditions = conditions;
  object.status = status;
}

export function validateCertificateSigningRequestApproval(
  object: KubeObject,
  old: KubeObject,
): FieldError[] {
  return validateCertificateSigningRequestUpdate(object, old, {
    allowSettingApprovalConditions: true,
  });
}
