import type { UserInfo } from "../types.ts";

/** The group every node credential carries. */
export const nodesGroup = "system:nodes";

/** Node users are named `system:node:<node name>`. */
export const nodeUserPrefix = "system:node:";

/** The namespace of the leases nodes renew as heartbeats. */
export const nodeLeaseNamespace = "kube-node-lease";

/**
 * The node a user speaks for: its name ("" when the user name carries none), or
 * undefined for users that are not nodes. Both the prefix and the group are
 * required, so a user that merely has a node-like name gets no node powers.
 */
export function nodeIdentity(user: string, groups: readonly string[]): string | undefined {
  if (!user.startsWith(nodeUserPrefix) || !groups.includes(nodesGroup)) return undefined;
  return user.slice(nodeUserPrefix.length);
}

/** `nodeIdentity` of an authenticated identity. */
export function nodeNameOf(user: UserInfo): string | undefined {
  return nodeIdentity(user.user, user.groups);
}
