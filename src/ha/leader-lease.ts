/**
 * The Lease kube-system/kubun-leader, written by the leader so that
 * `kubectl get lease -n kube-system` shows who leads (as kube-controller-manager's
 * and kube-scheduler's Leases do upstream). It is a report, not the lock: the
 * advisory lock decides.
 */
import type { ApiClient } from "../client/api-client.ts";
import { isNotFound } from "../client/api-error.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import type { LeaderTerm } from "./leader-election.ts";

export const LEADER_LEASE = { namespace: "kube-system", name: "kubun-leader" };

const microTime = (date: Date) => date.toISOString().replace(/(\.\d{3})Z$/, "$1000Z");

export interface LeaderLeaseOptions {
  client: Pick<ApiClient, "get" | "create" | "update">;
  identity: string;
  term: LeaderTerm;
  leaseDurationSeconds: number;
  renewMs?: number;
  log: Logger;
}

/** Renews the Lease every `renewMs` while the term lasts. */
export function publishLeaderLease(options: LeaderLeaseOptions): { stop(): void } {
  const { client, identity, term, log } = options;
  const leases = resourcePath({
    group: "coordination.k8s.io",
    version: "v1",
    resource: "leases",
    namespace: LEADER_LEASE.namespace,
  });
  const path = `${leases}/${LEADER_LEASE.name}`;
  const acquired = microTime(new Date());
  const spec = () => ({
    holderIdentity: identity,
    leaseDurationSeconds: options.leaseDurationSeconds,
    acquireTime: acquired,
    renewTime: microTime(new Date()),
    leaseTransitions: term.epoch - 1,
  });
  const renew = async () => {
    if (!term.isLeader()) return;
    try {
      const lease = await client.get<KubeObject>(path);
      await client.update(path, { ...lease, spec: spec() });
    } catch (error) {
      if (isNotFound(error)) {
        await client
          .create(leases, {
            apiVersion: "coordination.k8s.io/v1",
            kind: "Lease",
            metadata: { ...LEADER_LEASE },
            spec: spec(),
          })
          .catch((createError) => log.debug("could not create the leader Lease", { createError }));
      } else if (term.isLeader()) {
        log.debug("could not renew the leader Lease", { error });
      }
    }
  };
  void renew();
  const timer = setInterval(() => void renew(), options.renewMs ?? 2000);
  return { stop: () => clearInterval(timer) };
}
