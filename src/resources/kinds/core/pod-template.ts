/**
 * PodTemplate (core/v1): a stored pod template. Same defaults and rules as the templates
 * embedded in workloads.
 */
import type { KindDefinition } from "../../kind.ts";
import { fieldPath } from "../../validation/field-path.ts";
import { nameIsDNSSubdomain } from "../../validation/name-validators.ts";
import { validateObjectMeta, validateObjectMetaUpdate } from "../../validation/object-meta.ts";
import { recordOf } from "./json-value.ts";
import { validatePodTemplateSpec } from "./pod-spec.validation.ts";
import { defaultPodTemplateSpec } from "./pod-spec-defaults.ts";

export const podTemplateKind: KindDefinition = {
  group: "",
  version: "v1",
  kind: "PodTemplate",
  resource: "podtemplates",
  singular: "podtemplate",
  namespaced: true,
  schemaRef: "core/v1.PodTemplate",
  hasStatus: false,

  defaults(podTemplate) {
    defaultPodTemplateSpec(podTemplate.template);
  },

  validate(podTemplate) {
    return [
      ...validateObjectMeta(podTemplate.metadata ?? {}, {
        namespaced: true,
        nameValidator: nameIsDNSSubdomain,
        standardFinalizersOnly: true,
      }),
      ...validatePodTemplateSpec(recordOf(podTemplate.template) ?? {}, fieldPath("template")),
    ];
  },

  validateUpdate(podTemplate, old) {
    return validateObjectMetaUpdate(podTemplate.metadata ?? {}, old.metadata ?? {}, {
      standardFinalizersOnly: true,
    });
  },
};
