/**
 * CertificateSigningRequest validation with upstream's paths and messages
 * (`pkg/apis/certificates/validation`). Three writers use it: clients creating requests,
 * approvers (the `approval` subresource sets Approved/Denied) and signers (the `status`
 * subresource sets the certificate once).
 */
import type { KubeObject } from "../../kind.ts";
import {
  DNS1123_LABEL_MAX_LENGTH,
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  isDNS1123Label,
  isDNS1123Subdomain,
} from "../../validation/dns-name.ts";
import {
  duplicate,
  type FieldError,
  forbidden,
  invalid,
  notSupported,
  required,
  tooLong,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { goQuote } from "../../validation/go-quote.ts";
import { semanticEqual } from "../../validation/immutable.ts";
import { validateObjectMeta } from "../../validation/object-meta.ts";
import { type JsonRecord, recordList, recordOf, stringList, stringOf } from "../core/json-value.ts";
import {
  certificateProblem,
  certificateRequestProblem,
  decodeBase64,
  decodePemBlocks,
} from "./pem.ts";

/** The signer name v1beta1 defaulted to; v1 clients must name a real signer. */
export const LEGACY_UNKNOWN_SIGNER_NAME = "kubernetes.io/legacy-unknown";

export const KEY_USAGES: readonly string[] = [
  "any",
  "cert sign",
  "client auth",
  "code signing",
  "content commitment",
  "crl sign",
  "data encipherment",
  "decipher only",
  "digital signature",
  "email protection",
  "encipher only",
  "ipsec end system",
  "ipsec tunnel",
  "ipsec user",
  "key agreement",
  "key encipherment",
  "microsoft sgc",
  "netscape sgc",
  "ocsp signing",
  "s/mime",
  "server auth",
  "signing",
  "timestamping",
];

/** Conditions that, once present, can only be True and never go away. */
const terminalConditionTypes = ["Approved", "Denied", "Failed"];
const allStatuses = ["False", "True", "Unknown"];

export interface CertificateUpdateOptions {
  /** The `approval` subresource: Approved and Denied conditions may be added or changed. */
  allowSettingApprovalConditions: boolean;
}

export function validateCertificateSigningRequest(object: KubeObject): FieldError[] {
  // Any name will do: requests are usually named after their requester or generated.
  const errors = validateObjectMeta(object.metadata ?? {}, {
    namespaced: false,
    nameValidator: () => [],
    standardFinalizersOnly: true,
  });
  const spec = recordOf(object.spec) ?? {};
  const path = fieldPath("spec");
  const request = stringOf(spec.request);
  const requestProblem = parseRequestProblem(request);
  if (requestProblem !== undefined) {
    errors.push(invalid(path.child("request"), request, requestProblem));
  }
  const usages = stringList(spec.usages);
  if (usages.length === 0) errors.push(required(path.child("usages"), ""));
  const seen = new Set<string>();
  usages.forEach((usage, i) => {
    if (!KEY_USAGES.includes(usage)) {
      errors.push(notSupported(path.child("usages").index(i), usage, KEY_USAGES));
    }
  });
  usages.forEach((usage, i) => {
    if (seen.has(usage)) errors.push(duplicate(path.child("usages").index(i), usage));
    seen.add(usage);
  });
  const signerName = stringOf(spec.signerName);
  if (signerName === LEGACY_UNKNOWN_SIGNER_NAME) {
    errors.push(
      invalid(
        path.child("signerName"),
        signerName,
        "the legacy signerName is not allowed via this API version",
      ),
    );
  } else {
    errors.push(...validateSignerName(path.child("signerName"), signerName));
  }
  const expiration = spec.expirationSeconds;
  if (typeof expiration === "number" && expiration < 600) {
    errors.push(
      invalid(
        path.child("expirationSeconds"),
        expiration,
        "may not specify a duration less than 600 seconds (10 minutes)",
      ),
    );
  }
  const status = recordOf(object.status) ?? {};
  errors.push(
    ...validateConditions(recordList(status.conditions), fieldPath("status", "conditions")),
  );
  const certificateProblemText = validateCertificateChain(stringOf(status.certificate));
  if (certificateProblemText !== undefined) {
    errors.push(
      invalid(fieldPath("status", "certificate"), "<certificate data>", certificateProblemText),
    );
  }
  return errors;
}

/**
 * An update through `/status` (the signer) or, with `allowSettingApprovalConditions`,
 * through `/approval`. Terminal conditions are never removed, only approvers add Approved
 * or Denied, and a certificate, once issued, stays. The main endpoint keeps the stored
 * spec and status, so these checks pass there trivially.
 */
export function validateCertificateSigningRequestUpdate(
  object: KubeObject,
  old: KubeObject,
  options: CertificateUpdateOptions = { allowSettingApprovalConditions: false },
): FieldError[] {
  const errors: FieldError[] = [];
  const conditionsPath = fieldPath("status", "conditions");
  for (const type of terminalConditionTypes) {
    const before = conditionsOfType(old, type);
    const after = conditionsOfType(object, type);
    if (after.length < before.length) {
      errors.push(
        forbidden(conditionsPath, `updates may not remove a condition of type ${goQuote(type)}`),
      );
    } else if (
      !options.allowSettingApprovalConditions &&
      (type === "Approved" || type === "Denied")
    ) {
      if (after.length > before.length) {
        errors.push(
          forbidden(conditionsPath, `updates may not add a condition of type ${goQuote(type)}`),
        );
      } else if (!semanticEqual(before, after)) {
        errors.push(
          forbidden(conditionsPath, `updates may not modify a condition of type ${goQuote(type)}`),
        );
      }
    }
  }
  const certificate = stringOf(recordOf(object.status)?.certificate);
  const oldCertificate = stringOf(recordOf(old.status)?.certificate);
  if (certificate !== oldCertificate) {
    if (options.allowSettingApprovalConditions) {
      errors.push(
        forbidden(fieldPath("status", "certificate"), "updates may not set certificate content"),
      );
    } else if (oldCertificate.length > 0) {
      errors.push(
        forbidden(
          fieldPath("status", "certificate"),
          "updates may not modify existing certificate content",
        ),
      );
    }
  }
  return errors;
}

function conditionsOfType(object: KubeObject, type: string): JsonRecord[] {
  return recordList(recordOf(object.status)?.conditions).filter((c) => c.type === type);
}

function validateConditions(conditions: JsonRecord[], path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conditions.forEach((condition, i) => {
    const typePath = path.index(i).child("type");
    const type = stringOf(condition.type);
    if (type === "") errors.push(required(typePath, ""));
    const allowed = terminalConditionTypes.includes(type) ? ["True"] : allStatuses;
    const status = stringOf(condition.status);
    if (status === "") errors.push(required(path.index(i).child("status"), ""));
    else if (!allowed.includes(status)) {
      errors.push(notSupported(path.index(i).child("status"), status, allowed));
    }
    if (type === "Approved") {
      approved = true;
      if (denied)
        errors.push(
          invalid(typePath, type, "Approved and Denied conditions are mutually exclusive"),
        );
    } else if (type === "Denied") {
      denied = true;
      if (approved)
        errors.push(
          invalid(typePath, type, "Approved and Denied conditions are mutually exclusive"),
        );
    }
    if (seen.has(type)) errors.push(duplicate(typePath, type));
    seen.add(type);
  });
  return errors;
}

/** Why `request` (base64 of a PEM text) is not a PKCS#10 request, as upstream's ParseCSR words it. */
function parseRequestProblem(request: string): string | undefined {
  const pem = decodeBase64(request);
  const block = pem === undefined ? undefined : decodePemBlocks(new TextDecoder().decode(pem))[0];
  if (block === undefined || block.type !== "CERTIFICATE REQUEST" || block.bytes === undefined) {
    return "PEM block type must be CERTIFICATE REQUEST";
  }
  return certificateRequestProblem(block.bytes);
}

/** Upstream's validateCertificate: CERTIFICATE blocks only, no headers, at least one. */
function validateCertificateChain(certificate: string): string | undefined {
  if (certificate.length === 0) return undefined;
  const pem = decodeBase64(certificate);
  const blocks = pem === undefined ? [] : decodePemBlocks(new TextDecoder().decode(pem));
  for (const block of blocks) {
    if (block.type !== "CERTIFICATE") {
      return `only CERTIFICATE PEM blocks are allowed, found ${goQuote(block.type)}`;
    }
    if (block.hasHeaders) return "no PEM block headers are permitted";
    const problem =
      block.bytes === undefined
        ? "asn1: syntax error: data truncated"
        : certificateProblem(block.bytes);
    if (problem !== undefined) return problem;
  }
  return blocks.length === 0 ? "must contain at least one CERTIFICATE PEM block" : undefined;
}

/**
 * `<domain>/<path>`: the domain a DNS name of at least two labels, the path dot-separated
 * subdomains, leaving room for `<fqdn>/<namespace>.<name>` signer names.
 */
export function validateSignerName(path: FieldPath, signerName: string): FieldError[] {
  if (signerName.length === 0) return [required(path, "")];
  const segments = signerName.split("/");
  if (segments.length !== 2) {
    return [
      invalid(
        path,
        signerName,
        "must be a fully qualified domain and path of the form 'example.com/signer-name'",
      ),
    ];
  }
  const [domain, rest] = segments as [string, string];
  const errors: FieldError[] = [];
  if (domain.length > DNS1123_SUBDOMAIN_MAX_LENGTH)
    errors.push(tooLong(path, DNS1123_SUBDOMAIN_MAX_LENGTH));
  const domainLabels = domain.split(".");
  for (const label of domainLabels) {
    const problems = isDNS1123Label(label);
    if (problems.length === 0) continue;
    // One bad label is enough: the same message for the next ones would only confuse.
    for (const problem of problems) {
      errors.push(invalid(path, domain, `validating label ${goQuote(label)}: ${problem}`));
    }
    break;
  }
  if (domainLabels.length < 2) {
    errors.push(
      invalid(path, domain, "should be a domain with at least two segments separated by dots"),
    );
  }
  for (const label of rest.split(".")) {
    const problems = isDNS1123Subdomain(label);
    if (problems.length === 0) continue;
    for (const problem of problems) {
      errors.push(invalid(path, rest, `validating label ${goQuote(label)}: ${problem}`));
    }
    break;
  }
  const maxLength =
    DNS1123_SUBDOMAIN_MAX_LENGTH +
    (DNS1123_SUBDOMAIN_MAX_LENGTH + DNS1123_LABEL_MAX_LENGTH + 1) +
    1;
  if (signerName.length > maxLength) errors.push(tooLong(path, maxLength));
  return errors;
}
