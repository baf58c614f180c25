/**
 * Endpoints (core/v1): the addresses behind a Service, written by the endpoints
 * controller (or by hand for selector-less services).
 */
import type { KindDefinition } from "../../kind.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { validateEndpointSubsets } from "./endpoints.validation.ts";
import { recordList } from "./json-value.ts";

export const endpointsKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "Endpoints",
  resource: "endpoints",
  singular: "endpoints",
  namespaced: true,
  schemaRef: "core/v1.Endpoints",
  hasStatus: false,
  shortNames: ["ep"],

  defaults(endpoints) {
    for (const subset of recordList(endpoints.subsets)) {
      for (const port of recordList(subset.ports)) {
        if (!port.protocol) port.protocol = "TCP";
      }
    }
  },

  validate(endpoints) {
    return [
      ...validateObjectMeta(endpoints.metadata ?? {}, {
        namespaced: true,
        nameValidator: nameIsDNSSubdomain,
        standardFinalizersOnly: true,
      }),
      ...validateEndpointSubsets(endpoints.subsets, fieldPath("subsets")),
    ];
  },

  validateUpdate(endpoints, old) {
    return validateObjectMetaUpdate(endpoints.metadata ?? {}, old.metadata ?? {}, {
      standardFinalizersOnly: true,
    });
  },
};
