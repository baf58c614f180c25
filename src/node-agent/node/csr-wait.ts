import { ApiError } from "../../client/api-error.ts";
import type { KubeObject } from "../../resources/kind.ts";
import type { NodeClient } from "./node-client.ts";

const CSR_COLLECTION = "/apis/certificates.k8s.io/v1/certificatesigningrequests";

interface CsrStatus {
  conditions?: { type?: string; reason?: string; message?: string }[];
  certificate?: string;
}

/** The request's own outcome (denied, failed, deleted): waiting longer cannot help. */
export class CsrRejectedError extends Error {
  override readonly name = "CsrRejectedError";
}

/** The issued certificate (PEM), undefined while pending; throws when denied or failed. */
export function issuedCertificate(csr: KubeObject): string | undefined {
  const status = (csr.status ?? {}) as CsrStatus;
  const name = csr.metadata?.name ?? "";
  for (const condition of status.conditions ?? []) {
    if (condition.type === "Denied" || condition.type === "Failed") {
      throw new CsrRejectedError(
        `certificate signing request ${name} is ${condition.type.toLowerCase()}: ${condition.reason ?? ""} ${condition.message ?? ""}`.trim(),
      );
    }
  }
  const approved = (status.conditions ?? []).some((condition) => condition.type === "Approved");
  if (!approved || !status.certificate) return undefined;
  return Buffer.from(status.certificate, "base64").toString("utf8");
}

/**
 * Posts a CSR and waits until it is approved and signed: a get, then a watch
 * of that one CSR from there; again after a pause when the watch ends.
 */
export async function requestCertificate(
  client: NodeClient,
  csr: KubeObject,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<{ name: string; certPem: string }> {
  const created = await client.create(CSR_COLLECTION, csr);
  const name = created.metadata?.name ?? "";
  const signal = options.signal
    ? AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)])
    : AbortSignal.timeout(options.timeoutMs);
  while (!signal.aborted) {
    try {
      const current = await client.get(`${CSR_COLLECTION}/${encodeURIComponent(name)}`, signal);
      const issued = issuedCertificate(current);
      if (issued) return { name, certPem: issued };
      const events = client.watch(CSR_COLLECTION, {
        fieldSelector: `metadata.name=${name}`,
        resourceVersion: current.metadata?.resourceVersion,
        timeoutSeconds: 60,
        signal,
      });
      for await (const event of events) {
        if (event.type === "ERROR" || event.type === "BOOKMARK") continue;
        if (event.type === "DELETED")
          throw new CsrRejectedError(`certificate signing request ${name} was deleted`);
        const certPem = issuedCertificate(event.object);
        if (certPem) return { name, certPem };
      }
    } catch (error) {
      if (signal.aborted) break;
      if (error instanceof CsrRejectedError || isClientError(error)) throw error;
    }
    await Bun.sleep(1000);
  }
  throw new Error(
    `timed out waiting for certificate signing request ${name} to be approved and signed`,
  );
}

// Client errors do not change by waiting, except throttling and an expired watch position.
function isClientError(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    error.code >= 400 &&
    error.code < 500 &&
    error.code !== 410 &&
    error.code !== 429
  );
}
