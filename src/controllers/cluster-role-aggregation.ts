/**
 * ClusterRole aggregation controller (upstream's clusterroleaggregation).
 * Reconciles: a ClusterRole with an aggregationRule holds the union of the rules of
 * every ClusterRole its selectors match (admin, edit and view gather the
 * `aggregate-to-*` roles, including ones users add for their own resources).
 * Owns: the rules of aggregated ClusterRoles. Watches: ClusterRoles.
 */

import { aggregatedRules, rulesEqual } from "../auth/rbac/aggregation.ts";
import { rulesOf } from "../auth/rbac/policy-rule.ts";
import type { Informer } from "../client/informer.ts";
import { resourcePath } from "../client/resource-path.ts";
import type { Logger } from "../log/logger.ts";
import type { KubeObject } from "../resources/kind.ts";
import { type ControllerClient, ControllerLoop, isResync } from "./controller.ts";
import type { SharedInformers } from "./shared-informers.ts";

const clusterRoles = (name?: string) =>
  resourcePath({
    group: "rbac.authorization.k8s.io",
    version: "v1",
    resource: "clusterroles",
    ...(name !== undefined ? { name } : {}),
  });

export interface ClusterRoleAggregationOptions {
  client: ControllerClient;
  informers: SharedInformers;
  log: Logger;
}

export class ClusterRoleAggregation {
  readonly roles: Informer;
  readonly loop: ControllerLoop;
  readonly #client: ControllerClient;

  constructor(options: ClusterRoleAggregationOptions) {
    this.#client = options.client;
    this.loop = new ControllerLoop({ log: options.log, sync: (key) => this.sync(key) });
    this.roles = options.informers.informer({ path: clusterRoles() });
    // Any role may feed any aggregated one: a change re-checks every aggregating role.
    const enqueueAggregating = () => {
      for (const role of this.roles.store.list()) {
        if (role.aggregationRule) this.loop.enqueue(role.metadata?.name ?? "");
      }
    };
    this.roles.addEventHandler({
      onAdd: enqueueAggregating,
      onUpdate: (old, role) => {
        if (!isResync(old, role)) enqueueAggregating();
      },
      onDelete: enqueueAggregating,
    });
  }

  async sync(name: string): Promise<void> {
    const role = this.roles.store.get(name);
    if (!role) return;
    const wanted = aggregatedRules(role, this.roles.store.list());
    if (wanted === null || rulesEqual(rulesOf(role), wanted)) return;
    const updated: KubeObject = { ...structuredClone(role), rules: wanted };
    await this.#client.update(clusterRoles(name), updated);
  }
}
