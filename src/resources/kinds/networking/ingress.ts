/**
 * networking.k8s.io/v1 Ingress: HTTP routing to Services. No defaults in v1 (pathType is
 * required); the status strategy keeps `status.loadBalancer` for the ingress controller;
 * validation in ingress.validation.ts.
 */
import type { KindDefinition } from "../../kind.ts";
import { validateIngress } from "./ingress.validation.ts";

export const ingressKind: KindDefinition = {
  group: "networking.k8s.io",
  version: "v1",
  kind: "Ingress",
  resource: "ingresses",
  singular: "ingress",
  namespaced: true,
  shortNames: ["ing"],
  schemaRef: "networking/v1.Ingress",
  hasStatus: true,
  subresources: ["status"],
  tracksGeneration: true,

  prepareForCreate(object) {
    object.status = {};
  },
  prepareForUpdate(object, old) {
    object.status = structuredClone(old.status ?? {});
  },
  validate: (object) => validateIngress(object),
};
