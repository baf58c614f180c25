/**
 * Domain-prefixed paths (`acme.io/foo`): an IngressClass's controller and a Job's
 * managedBy name the component responsible for an object this way. The host part is a
 * DNS subdomain, the rest an HTTP path (RFC 3986 characters), as upstream's
 * IsDomainPrefixedPath checks.
 */

import { isDNS1123Subdomain } from "../../validation/dns-name.ts";
import { type FieldError, invalid, required } from "../../validation/field-error.ts";
import type { FieldPath } from "../../validation/field-path.ts";
import { regexError } from "../../validation/validation-messages.ts";

const httpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const httpPathPattern = new RegExp(`^${httpPathFmt}$`);

export function validateDomainPrefixedPath(path: FieldPath, value: string): FieldError[] {
  if (value.length === 0) return [required(path, "")];
  const slash = value.indexOf("/");
  const host = slash < 0 ? value : value.slice(0, slash);
  const rest = slash < 0 ? "" : value.slice(slash + 1);
  if (slash < 0 || host.length === 0 || rest.length === 0) {
    return [invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  }
  const errors = isDNS1123Subdomain(host).map((message) => invalid(path, host, message));
  if (!httpPathPattern.test(rest)) {
    errors.push(invalid(path, rest, regexError("Invalid path", httpPathFmt)));
  }
  return errors;
}
