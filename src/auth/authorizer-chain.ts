import type { Attributes, Authorizer, Decision } from "./types.ts";

/** Members of this group may do anything (upstream's privileged-group authorizer). */
export const mastersGroup = "system:masters";

const noOpinion: Decision = { decision: "no-opinion", reason: "" };

/**
 * Asks each authorizer in turn (Node, then RBAC); the first that allows or
 * denies decides. system:masters is allowed before any lookup.
 */
export class AuthorizerChain implements Authorizer {
  constructor(private readonly authorizers: readonly Authorizer[]) {}

  authorize(attributes: Attributes): Decision {
    if (attributes.user.groups.includes(mastersGroup)) {
      return { decision: "allow", reason: `member of ${mastersGroup}` };
    }
    for (const authorizer of this.authorizers) {
      const decision = authorizer.authorize(attributes);
      if (decision.decision !== "no-opinion") return decision;
    }
    return noOpinion;
  }
}
