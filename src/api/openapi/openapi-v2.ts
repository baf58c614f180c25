/**
 * The OpenAPI v2 (Swagger 2.0) document served at /openapi/v2: every path of
 * every served group version and the definitions they reach, in one
 * document. kubectl downloads it (as gnostic protobuf, see
 * openapi-v2-protobuf.ts) for `apply` (strategic merge patch metadata,
 * client-side validation, the fieldValidation check when OpenAPI v3 is
 * missing) and for `explain --output plaintext-openapiv2`.
 */
import type { KindDefinition } from "../../resources/kind.ts";
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
  const allPaths = [...apiPathsByDocument(kinds).values()]
    .flat()
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const gvks = definitionGvks(kinds);
  const roots = new Set<string>(gvks.keys());
  const paths: Record<string, JsonSchema> = {};
  for (const path of allPaths) {
    for (const ref of referencedTypes(path)) roots.add(ref);
    paths[path.path] = pathItem(path);
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

function pathItem(path: ApiPath): JsonSchema {
  const item: JsonSchema = {};
  for (const operation of path.operations) item[operation.method] = swaggerOperation(operation);
  if (path.parameters.length) item.parameters = path.parameters.map(swaggerParameter);
  return item;
}

function swaggerOperation(operation: ApiOperation): JsonSchema {
  const parameters: JsonSchema[] = [];
  if (operation.body) {
    parameters.push({
      in: "body",
      name: "body",
      required: operation.body.required,
      schema: { $ref: definitionPointer(operation.body.ref, "v2") },
    });
  }
  parameters.push(...operation.parameters.map(swaggerParameter));
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
