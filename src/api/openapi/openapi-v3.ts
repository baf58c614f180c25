/**
 * The OpenAPI 3.0 documents served under /openapi/v3/<path>, one per group
 * version ("api/v1", "apis/apps/v1") plus the discovery roots ("api", "apis",
 * "apis/<group>"). Each holds that group version's paths and only the
 * schemas they reach, as kube-apiserver splits them. kubectl explain reads
 * them, and kubectl apply checks the PATCH operation of a kind for the
 * `fieldValidation` parameter to decide on server-side validation.
 */
import type { KindDefinition } from "../../resources/kind.ts";
import { kubernetesVersion } from "../../version.ts";
import { type ApiOperation, type ApiPath, referencedTypes } from "./api-operation.ts";
import { apiPathsByDocument } from "./api-paths.ts";
import { definitionGvks } from "./definition-gvks.ts";
import { definitionPointer } from "./definition-name.ts";
import type { ApiParameter } from "./query-parameters.ts";
import { buildDefinitions, type JsonSchema } from "./schema-definitions.ts";

export interface OpenApiV3Document {
  openapi: "3.0.0";
  info: { title: string; version: string };
  paths: Record<string, JsonSchema>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
  security: Record<string, string[]>[];
}

interface KindListDocuments {
  paths: Map<string, ApiPath[]>;
  gvks: ReturnType<typeof definitionGvks>;
  built: Map<string, OpenApiV3Document>;
}

const cache = new WeakMap<readonly KindDefinition[], KindListDocuments>();

/** The document paths `kinds` serve, in index order ("api", "api/v1", "apis", …). */
export function openApiV3Paths(kinds: readonly KindDefinition[]): string[] {
  return [...documentsOf(kinds).paths.keys()];
}

/**
 * The OpenAPI v3 document at `path` ("api/v1", "apis/apps/v1", …), or
 * undefined when `kinds` serve no such document. Built on first use and cached
 * per kind list; documents are shared and must not be mutated.
 */
export function buildOpenApiV3(
  kinds: readonly KindDefinition[],
  path: string,
): OpenApiV3Document | undefined {
  const documents = documentsOf(kinds);
  const cached = documents.built.get(path);
  if (cached) return cached;
  const apiPaths = documents.paths.get(path);
  if (!apiPaths) return undefined;
  const roots = new Set<string>();
  const paths: Record<string, JsonSchema> = {};
  for (const apiPath of apiPaths) {
    for (const ref of referencedTypes(apiPath)) roots.add(ref);
    paths[apiPath.path] = pathItem(apiPath);
  }
  const { major, minor, patch } = kubernetesVersion;
  const document: OpenApiV3Document = {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: `v${major}.${minor}.${patch}` },
    paths,
    components: {
      schemas: buildDefinitions(roots, "v3", documents.gvks),
      securitySchemes: {
        BearerToken: {
          description: "Bearer Token authentication",
          in: "header",
          name: "authorization",
          type: "apiKey",
        },
      },
    },
    security: [{ BearerToken: [] }],
  };
  documents.built.set(path, document);
  return document;
}

function documentsOf(kinds: readonly KindDefinition[]): KindListDocuments {
  let documents = cache.get(kinds);
  if (!documents) {
    documents = { paths: apiPathsByDocument(kinds), gvks: definitionGvks(kinds), built: new Map() };
    cache.set(kinds, documents);
  }
  return documents;
}

function pathItem(path: ApiPath): JsonSchema {
  const item: JsonSchema = {};
  for (const operation of path.operations) item[operation.method] = operationObject(operation);
  if (path.parameters.length) item.parameters = path.parameters.map(parameterObject);
  return item;
}

function operationObject(operation: ApiOperation): JsonSchema {
  const rendered: JsonSchema = {
    description: operation.description,
    operationId: operation.operationId,
  };
  // fieldValidation must be listed on the operation itself: kubectl looks only there.
  if (operation.parameters.length) rendered.parameters = operation.parameters.map(parameterObject);
  if (operation.body) {
    const schema = { $ref: definitionPointer(operation.body.ref, "v3") };
    rendered.requestBody = {
      content: Object.fromEntries(operation.consumes.map((media) => [media, { schema }])),
      required: operation.body.required,
    };
  }
  const responses: JsonSchema = {};
  for (const response of operation.responses) {
    const rendered: JsonSchema = {};
    if (response.body) {
      const schema =
        "ref" in response.body
          ? { $ref: definitionPointer(response.body.ref, "v3") }
          : { type: "string" };
      rendered.content = Object.fromEntries(operation.produces.map((media) => [media, { schema }]));
    }
    rendered.description = response.description;
    responses[response.code] = rendered;
  }
  rendered.responses = responses;
  rendered.tags = [operation.tag];
  if (operation.action) rendered["x-kubernetes-action"] = operation.action;
  if (operation.gvk) rendered["x-kubernetes-group-version-kind"] = operation.gvk;
  return rendered;
}

function parameterObject(parameter: ApiParameter): JsonSchema {
  const rendered: JsonSchema = {
    description: parameter.description,
    in: parameter.in,
    name: parameter.name,
  };
  if (parameter.required) rendered.required = true;
  rendered.schema = { type: parameter.type, uniqueItems: true };
  return rendered;
}
