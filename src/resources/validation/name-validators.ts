/**
 * Object-name rules. Each kind picks one (`NameValidator`): most use DNS subdomains,
 * Namespaces and a few others DNS labels, Services RFC 1035 labels, RBAC objects only
 * path-segment safety. `prefix` is true when validating `generateName`, whose value will
 * get random characters appended and so may end in a dash.
 */
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain } from "./dns-name.ts";

/** Returns the problems with `name` (empty when it is fine), in upstream's wording. */
export type NameValidator = (name: string, prefix: boolean) => string[];

/**
 * Makes a generateName prefix checkable with the full-name rules: a trailing dash will be
 * followed by generated characters, so it is replaced by a letter. Upstream drops the two
 * last characters and appends "a" (the name gets one character shorter); the lengths it
 * then reports are kept identical by doing the same.
 */
function maskTrailingDash(name: string): string {
  if (name.length > 1 && name.endsWith("-")) return `${name.slice(0, -2)}a`;
  return name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);

export const nameIsDNSLabel: NameValidator = (name, prefix) =>
  isDNS1123Label(prefix ? maskTrailingDash(name) : name);

export const nameIsDNS1035Label: NameValidator = (name, prefix) =>
  isDNS1035Label(prefix ? maskTrailingDash(name) : name);

export const validateNamespaceName: NameValidator = nameIsDNSLabel;

export const validateServiceAccountName: NameValidator = nameIsDNSSubdomain;

/**
 * Names that only need to be usable as one URL path segment (RBAC roles and bindings):
 * not "." or "..", and no "/" or "%". A prefix may still become valid once characters are
 * appended, so only the "may not contain" rules apply to it.
 */
export const validatePathSegmentName: NameValidator = (name, prefix) => {
  if (!prefix) {
    for (const illegal of [".", ".."]) if (name === illegal) return [`may not be '${illegal}'`];
  }
  const errors: string[] = [];
  for (const illegal of ["/", "%"]) {
    if (name.includes(illegal)) errors.push(`may not contain '${illegal}'`);
  }
  return errors;
};
