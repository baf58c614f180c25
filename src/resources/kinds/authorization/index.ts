/**
 * authorization.k8s.io/v1: the access reviews `kubectl auth can-i` and
 * webhooks ask. Create-only and never stored: the API server answers them (src/auth).
 */
import type { KindDefinition } from "../../kind.ts";

const review = (kind: string, resource: string, namespaced: boolean): KindDefinition => ({
  group: "authorization.k8s.io",
  version: "v1",
  kind,
  resource,
  singular: resource.slice(0, -1),
  namespaced,
  verbs: ["create"],
  schemaRef: `authorization/v1.${kind}`,
  hasStatus: false,
  virtual: true,
});

export const authorizationKinds: readonly KindDefinition[] = [
  review("SubjectAccessReview", "subjectaccessreviews", false),
  review("SelfSubjectAccessReview", "selfsubjectaccessreviews", false),
  review("LocalSubjectAccessReview", "localsubjectaccessreviews", true),
  review("SelfSubjectRulesReview", "selfsubjectrulesreviews", false),
];
