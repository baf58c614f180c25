/**
 * The REST operations of a kind list, described once in a version-neutral
 * form and rendered into OpenAPI v2 and v3. Operation ids, actions, GVK
 * extensions, parameters and media types follow kube-apiserver's documents,
 * because clients key on them: kubectl explain finds a resource's kind
 * through `x-kubernetes-group-version-kind` on its operations, and kubectl
 * apply decides on server-side validation from the PATCH operation's
 * parameters.
 */

import type { KindDefinition } from "../../resources/kind.ts";
import { servedGroups } from "../discovery/group-versions.ts";
import {
  type ApiPath,
  groupName,
  lowerFirst,
  namingOf,
  objectMedia,
  unauthorized,
} from "./api-operation.ts";
import { resourcePaths } from "./resource-paths.ts";

/**
 * The paths of every OpenAPI v3 document, keyed like /openapi/v3 lists them
 * ("api", "api/v1", "apis", "apis/apps", "apis/apps/v1"), each sorted by path.
 * OpenAPI v2 serves all of them in one document.
 */
export function apiPathsByDocument(kinds: readonly KindDefinition[]): Map<string, ApiPath[]> {
  const documents = new Map<string, ApiPath[]>();
  const served = servedGroups(kinds);
  documents.set("api", [
    discoveryPath("/api/", "getCoreAPIVersions", "core", "meta/v1.APIVersions"),
  ]);
  for (const g of served) {
    if (g.group) {
      const name = groupName(g.group);
      documents.set(`apis/${g.group}`, [
        discoveryPath(
          `/apis/${g.group}/`,
          `get${name}APIGroup`,
          lowerFirst(name),
          "meta/v1.APIGroup",
        ),
      ]);
    }
    for (const v of g.versions) {
      const prefix = g.group ? `/apis/${g.group}/${v.version}` : `/api/${v.version}`;
      const naming = namingOf(g.group, v.version);
      const paths = [
        discoveryPath(
          `${prefix}/`,
          `get${naming.gv}APIResources`,
          naming.tag,
          "meta/v1.APIResourceList",
        ),
        ...v.kinds.flatMap((kind) => resourcePaths(kind, prefix, naming)),
      ];
      paths.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      documents.set(g.group ? `apis/${g.group}/${v.version}` : `api/${v.version}`, paths);
    }
  }
  documents.set("apis", [
    discoveryPath("/apis/", "getAPIVersions", "apis", "meta/v1.APIGroupList"),
  ]);
  return documents;
}

function discoveryPath(path: string, operationId: string, tag: string, ref: string): ApiPath {
  return {
    path,
    parameters: [],
    operations: [
      {
        method: "get",
        operationId,
        description: "get available resources",
        tag,
        parameters: [],
        consumes: objectMedia,
        produces: objectMedia,
        responses: [{ code: "200", description: "OK", body: { ref } }, unauthorized],
      },
    ],
  };
}
