import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { canonicalIp } from "./ip-address.ts";

/** DNS and IP subject alternative names; IPs in `canonicalIp` form when read back. */
export interface SubjectAltNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/**
 * The DNS and IP SANs among a certificate's or CSR's extensions. Other name
 * types (email, URI) are not part of kubun's PKI and are left out.
 */
export function readSubjectAltNames(extensions: readonly x509.Extension[]): SubjectAltNames {
  const result: SubjectAltNames = { dnsNames: [], ipAddresses: [] };
  for (const extension of extensions) {
    if (extension.type !== SAN_OID) continue;
    // Re-parse from DER: a CSR's extensions come back as generic Extension objects.
    const san = new x509.SubjectAlternativeNameExtension(extension.rawData);
    for (const name of san.names.items) {
      if (name.type === "dns") result.dnsNames.push(name.value);
      if (name.type === "ip") result.ipAddresses.push(canonicalIp(name.value));
    }
  }
  return result;
}

const SAN_OID = "2.5.29.17";
