/**
 * authentication.k8s.io/v1: TokenReview and SelfSubjectReview. Both are
 * create-only and never stored: the API server answers them (src/auth).
 */
import type { KindDefinition } from "../../kind.ts";

const review = (kind: string, resource: string): KindDefinition => ({
  group: "authentication.k8s.io",
  version: "v1",
  kind,
  resource,
  singular: resource.slice(0, -1),
  namespaced: false,
  verbs: ["create"],
  schemaRef: `authentication/v1.${kind}`,
  hasStatus: false,
  virtual: true,
});

export const authenticationKinds: readonly KindDefinition[] = [
  review("TokenReview", "tokenreviews"),
  review("SelfSubjectReview", "selfsubjectreviews"),
];
