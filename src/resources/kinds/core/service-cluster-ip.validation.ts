/**
 * The address fields of a Service (upstream ValidateServiceClusterIPsRelatedFields,
 * validateUpgradeDowngradeClusterIPs/IPFamilies and ValidateConditionalService):
 * clusterIP and clusterIPs agree, families match addresses, and what was allocated does
 * not move except for a dual-stack upgrade or downgrade.
 */
import {
  duplicate,
  type FieldError,
  invalid,
  notSupported,
  required,
} from "../../validation/field-error.ts";
import { type FieldPath, fieldPath } from "../../validation/field-path.ts";
import { isValidIP } from "../../validation/ip-address.ts";
import { type JsonRecord, stringList, stringOf } from "./json-value.ts";

/**
 * The IP families of kubun's service network: single-stack IPv4, like a default kubeadm
 * or k3s cluster. Services may not ask for more than the cluster has.
 */
export const CLUSTER_IP_FAMILIES: readonly string[] = ["IPv4"];
const ipFamilyPolicies = ["PreferDualStack", "RequireDualStack", "SingleStack"];
export function isHeadless(spec: JsonRecord): boolean {
  const ips = stringList(spec.clusterIPs);
  return ips.length === 1 && ips[0] === "None";
}

function isIPv6(ip: string): boolean {
  return ip.includes(":");
}

/** clusterIP and clusterIPs agree, families are known and match the addresses. */
export function validateClusterIPsRelatedFields(
  spec: JsonRecord,
  specPath: FieldPath,
): FieldError[] {
  if (stringOf(spec.type) === "ExternalName") return [];
  const errors: FieldError[] = [];
  const ipsPath = specPath.child("clusterIPs");
  const clusterIP = stringOf(spec.clusterIP);
  const clusterIPs = stringList(spec.clusterIPs);
  if (clusterIP !== "") {
    if (clusterIPs.length === 0) errors.push(required(ipsPath, ""));
    else if (clusterIPs[0] !== clusterIP) {
      errors.push(invalid(ipsPath, clusterIPs, "first value must match `clusterIP`"));
    }
  } else if (clusterIPs.length > 0) {
    errors.push(invalid(ipsPath, clusterIPs, "must be empty when `clusterIP` is not specified"));
  }
  const families = stringList(spec.ipFamilies);
  const seen = new Set<string>();
  families.forEach((family, i) => {
    const familyPath = specPath.child("ipFamilies").index(i);
    if (family !== "IPv4" && family !== "IPv6") {
      errors.push(notSupported(familyPath, family, ["IPv4", "IPv6"]));
    }
    if (seen.has(family)) errors.push(duplicate(familyPath, family));
    seen.add(family);
  });
  const policy = spec.ipFamilyPolicy;
  if (typeof policy === "string" && !ipFamilyPolicies.includes(policy)) {
    errors.push(notSupported(specPath.child("ipFamilyPolicy"), policy, ipFamilyPolicies));
  }
  let hasInvalidIPs = false;
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === "None") {
      if (clusterIPs.length > 1) {
        hasInvalidIPs = true;
        errors.push(invalid(ipsPath, clusterIPs, "'None' must be the first and only value"));
      }
      return;
    }
    const ipErrors = isValidIP(ipsPath.index(i), ip);
    if (ipErrors.length > 0) hasInvalidIPs = true;
    errors.push(...ipErrors);
  });
  if (clusterIPs.length > 2) {
    errors.push(invalid(ipsPath, clusterIPs, "may only hold up to 2 values"));
  }
  if (hasInvalidIPs) return errors;
  if (
    clusterIPs.length > 1 &&
    isIPv6(clusterIPs[0] as string) === isIPv6(clusterIPs[1] as string)
  ) {
    errors.push(invalid(ipsPath, clusterIPs, "may specify no more than one IP for each IP family"));
  }
  if (!isHeadless(spec)) {
    clusterIPs.forEach((ip, i) => {
      const family = families[i];
      if (family === "IPv4" && isIPv6(ip)) {
        errors.push(
          invalid(
            ipsPath.index(i),
            ip,
            `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
      if (family === "IPv6" && !isIPv6(ip)) {
        errors.push(
          invalid(
            ipsPath.index(i),
            ip,
            `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
    });
  }
  return errors;
}

/** What this cluster can serve: families it does not have cannot be required. */
export function validateServiceForCluster(spec: JsonRecord): FieldError[] {
  if (stringOf(spec.type) === "ExternalName") return [];
  const errors: FieldError[] = [];
  if (spec.ipFamilyPolicy === "RequireDualStack" && CLUSTER_IP_FAMILIES.length < 2) {
    errors.push(
      invalid(
        fieldPath("spec", "ipFamilyPolicy"),
        "RequireDualStack",
        "this cluster is not configured for dual-stack services",
      ),
    );
  }
  stringList(spec.ipFamilies).forEach((family, i) => {
    if ((family === "IPv4" || family === "IPv6") && !CLUSTER_IP_FAMILIES.includes(family)) {
      errors.push(
        invalid(fieldPath("spec", "ipFamilies").index(i), family, "not configured on this cluster"),
      );
    }
  });
  return errors;
}

/**
 * Upstream validateUpgradeDowngradeClusterIPs / …IPFamilies: a dual-stack upgrade may add
 * a secondary value and a downgrade (with SingleStack) may drop it; the primary stays.
 */
export function validateListUpdate(
  spec: JsonRecord,
  oldSpec: JsonRecord,
  field: "clusterIPs" | "ipFamilies",
): FieldError[] {
  const noun = field === "clusterIPs" ? "clusterIP" : "ipFamily";
  if (field === "clusterIPs" && isHeadless(spec) && isHeadless(oldSpec)) return [];
  const path = fieldPath("spec", field);
  const values = stringList(spec[field]);
  const oldValues = stringList(oldSpec[field]);
  const errors: FieldError[] = [];
  // Upstream shows clusterIPs as the bad value of some ipFamilies errors; kept as is.
  const shown = field === "clusterIPs" ? values : stringList(spec.clusterIPs);
  if (values.length === oldValues.length) {
    oldValues.forEach((value, i) => {
      if (value !== values[i]) {
        errors.push(
          invalid(path.index(field === "clusterIPs" ? i : 0), values, "may not change once set"),
        );
      }
    });
  } else if (values.length < oldValues.length) {
    if (field === "clusterIPs" ? values.length === 0 : stringList(spec.clusterIPs).length === 0) {
      errors.push(invalid(path.index(0), values, `primary ${noun} can not be unset`));
    }
    if (values.length > 0 && values[0] !== oldValues[0]) {
      errors.push(invalid(path.index(0), shown, "may not change once set"));
    }
    if (values.length === 1 && spec.ipFamilyPolicy !== "SingleStack") {
      errors.push(
        invalid(
          fieldPath("spec", "ipFamilyPolicy"),
          spec.ipFamilyPolicy ?? null,
          `must be set to 'SingleStack' when releasing the secondary ${noun}`,
        ),
      );
    }
  } else if (oldValues.length > 0 && values[0] !== oldValues[0]) {
    errors.push(invalid(path.index(0), shown, "may not change once set"));
  }
  return errors;
}
