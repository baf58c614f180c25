/**
 * The OpenAPI v2 (Swagger 2.0) document served at /openapi/v2: every path of
 * every served group version and the definitions they reach, in one
 * document. kubectl downloads it (as gnostic protobuf, see
 * openapi-v2-protobuf.ts) for `apply` (strategic merge patch metadata), for
 * client-side validation, for the fieldValidation check when OpenAPI v3 has
 * no answer (see crdStandInSupportsFieldValidation) and for
 * `explain --output plaintext-openapiv2`.
 */
import { allVerbs, type KindDefinition } from "../../resources/kind.ts";
import { kubernetesVersion } from "../../version.ts";
import { type ApiOperation, type ApiPath, referencedTypes } from "./api-operation.ts";
import { apiPathsByDocument } from "./api-paths.ts";
import { definitionGvks } from "./definition-gvks.ts";
import { definitionPointer } from "./definition-name.ts";
import type { ApiParameter } from "./query-parameters.ts";
import { buildDefinitions, type JsonSchema } from "./schema-definitions.ts";

export interface SwaggerDocument {
  swagger: "2.0";
  info: { title: string; version: string };
  paths: Record<string, JsonSchema>;
  definitions: Record<string, JsonSchema>;
  securityDefinitions: Record<string, JsonSchema>;
  security: Record<string, string[]>[];
}

const cache = new WeakMap<readonly KindDefinition[], SwaggerDocument>();

/**
 * The Swagger 2.0 document of `kinds`, built on first use and cached for this
 * exact array. The document is shared; callers must not mutate it.
 */
export function buildOpenApiV2(kinds: readonly KindDefinition[]): SwaggerDocument {
  const cached = cache.get(kinds);
  if (cached) return cached;
  const hideFieldValidation = !crdStandInSupportsFieldValidation(kinds);
  const allPaths = [...apiPathsByDocument(kinds).values()]
    .flat()
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const gvks = definitionGvks(kinds);
  const roots = new Set<string>(gvks.keys());
  const paths: Record<string, JsonSchema> = {};
  for (const path of allPaths) {
    for (const ref of referencedTypes(path)) roots.add(ref);
    paths[path.path] = pathItem(path, hideFieldValidation);
  }
  const { major, minor, patch } = kubernetesVersion;
  const document: SwaggerDocument = {
    swagger: "2.0",
    info: { title: "Kubernetes", version: `v${major}.${minor}.${patch}` },
    paths,
    definitions: buildDefinitions(roots, "v2", gvks),
    securityDefinitions: {
      BearerToken: {
        description: "Bearer Token authentication",
        in: "header",
        name: "authorization",
        type: "apiKey",
      },
    },
    security: [{ BearerToken: [] }],
  };
  cache.set(kinds, document);
  return document;
}

/**
 * kubectl (1.27 to 1.33 at least) asks whether a kind takes `fieldValidation`
 * by looking for it on the kind's PATCH operation, in OpenAPI v3 and, when v3
 * has no PATCH operation of that kind (the create-only reviews: TokenReview,
 * SubjectAccessReview, …), in OpenAPI v2. When v2 has none either, it takes
 * the kind for a possible custom resource: if the PATCH operation of core/v1
 * Namespace (its stand-in for custom resources) lists `fieldValidation`, it
 * lists /apis/apiextensions.k8s.io/v1/customresourcedefinitions to find out,
 * and a failed list fails the command ("failed to check CRD: failed to list
 * CRDs"). Otherwise it validates the object itself against this document.
 *
 * Upstream serves the CRD list, finds no such CRD and validates client-side.
 * A kind list without CustomResourceDefinitions has no list to serve, so the
 * stand-in must say no: its PATCH operations leave `fieldValidation` out of
 * this document, and kubectl goes straight to client-side validation. The
 * Namespace kind itself loses nothing with kubectl 1.27+, which finds its
 * PATCH operation (with `fieldValidation`) in OpenAPI v3 first; only clients
 * reading OpenAPI v2 alone validate Namespaces client-side instead.
 */
export function crdStandInSupportsFieldValidation(kinds: readonly KindDefinition[]): boolean {
  return kinds.some(
    (kind) =>
      kind.group === "apiextensions.k8s.io" &&
      kind.version === "v1" &&
      kind.kind === "CustomResourceDefinition" &&
      (kind.verbs ?? allVerbs).includes("list"),
  );
}

/** Whether `operation` is a PATCH of the kind kubectl consults for custom resources. */
function isCrdStandInPatch(operation: ApiOperation): boolean {
  const gvk = operation.gvk;
  return (
    operation.method === "patch" &&
    gvk?.group === "" &&
    gvk.version === "v1" &&
    gvk.kind === "Namespace"
  );
}

function pathItem(path: ApiPath, hideFieldValidation: boolean): JsonSchema {
  const item: JsonSchema = {};
  for (const operation of path.operations) {
    item[operation.method] = swaggerOperation(operation, hideFieldValidation);
  }
  if (path.parameters.length) item.parameters = path.parameters.map(swaggerParameter);
  return item;
}

function swaggerOperation(operation: ApiOperation, hideFieldValidation: boolean): JsonSchema {
  const hidden = hideFieldValidation && isCrdStandInPatch(operation) ? "fieldValidation" : "";
  const parameters: JsonSchema[] = [];
  if (operation.body) {
    parameters.push({
      in: "body",
      name: "body",
      required: operation.body.required,
      schema: { $ref: definitionPointer(operation.body.ref, "v2") },
    });
  }
  for (const parameter of operation.parameters) {
    if (parameter.name !== hidden) parameters.push(swaggerParameter(parameter));
  }
  const responses: JsonSchema = {};
  for (const response of operation.responses) {
    const rendered: JsonSchema = { description: response.description };
    if (response.body) {
      rendered.schema =
        "ref" in response.body
          ? { $ref: definitionPointer(response.body.ref, "v2") }
          : { type: "string" };
    }
    responses[response.code] = rendered;
  }
  const rendered: JsonSchema = {
    consumes: operation.consumes,
    description: operation.description,
    operationId: operation.operationId,
  };
  if (parameters.length) rendered.parameters = parameters;
  rendered.produces = operation.produces;
  rendered.responses = responses;
  rendered.schemes = ["https"];
  rendered.tags = [operation.tag];
  if (operation.action) rendered["x-kubernetes-action"] = operation.action;
  if (operation.gvk) rendered["x-kubernetes-group-version-kind"] = operation.gvk;
  return rendered;
}

function swaggerParameter(parameter: ApiParameter): JsonSchema {
  const rendered: JsonSchema = {
    description: parameter.description,
    in: parameter.in,
    name: parameter.name,
  };
  if (parameter.required) rendered.required = true;
  rendered.type = parameter.type;
  rendered.uniqueItems = true;
  return rendered;
}
