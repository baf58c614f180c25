/**
 * The REST paths of one kind: collection, object, watch and all-namespaces
 * paths for the verbs it serves, then its subresources. Operation ids read
 * verb + group version + subject (listCoreV1NamespacedPod), as upstream's.
 */
import { allVerbs, type KindDefinition } from "../../resources/kind.ts";
import { typeSchema } from "../../resources/schema/schema.ts";
import { subresourcesOf } from "../discovery/subresources.ts";
import {
  type ApiAction,
  type ApiOperation,
  type ApiPath,
  anyMedia,
  deleteOptionsRef,
  deleteParams,
  type HttpMethod,
  listParams,
  type Naming,
  objectMedia,
  ok,
  patchMedia,
  patchParams,
  patchRef,
  statusRef,
  watchEventRef,
  watchMedia,
  writeParams,
} from "./api-operation.ts";
import { parameters } from "./query-parameters.ts";
import { subresourcePaths } from "./subresource-paths.ts";

/**
 * The paths of `kind` under `prefix` (/api/v1, /apis/apps/v1). Only the verbs
 * the kind serves get operations, so a create-only kind (bindings) has a POST
 * and nothing else.
 */
export function resourcePaths(kind: KindDefinition, prefix: string, naming: Naming): ApiPath[] {
  const verbs = new Set<string>(kind.verbs ?? allVerbs);
  const scope = kind.namespaced ? "Namespaced" : "";
  const base = kind.namespaced ? `${prefix}/namespaces/{namespace}` : prefix;
  const collection = `${base}/${kind.resource}`;
  const item = `${collection}/{name}`;
  const gvk = { group: kind.group, version: kind.version, kind: kind.kind };
  const listRef = typeSchema(`${kind.schemaRef}List`) ? `${kind.schemaRef}List` : undefined;
  const scopeParams = kind.namespaced ? ["namespace"] : [];
  const op = (
    method: HttpMethod,
    verb: string,
    action: ApiAction,
    description: string,
    rest: Partial<ApiOperation> & Pick<ApiOperation, "responses">,
    subject = `${scope}${kind.kind}`,
  ): ApiOperation => ({
    method,
    operationId: `${verb}${naming.gv}${subject}`,
    description,
    action,
    gvk,
    tag: naming.tag,
    parameters: [],
    consumes: anyMedia,
    produces: objectMedia,
    ...rest,
  });
  const paths: ApiPath[] = [];
  const add = (path: string, params: string[], operations: ApiOperation[]) => {
    if (operations.length) paths.push({ path, parameters: parameters(...params), operations });
  };

  const collectionOps: ApiOperation[] = [];
  if (verbs.has("list")) {
    collectionOps.push(
      op("get", "list", "list", `list or watch objects of kind ${kind.kind}`, {
        parameters: parameters(...listParams),
        produces: watchMedia,
        responses: ok(listRef, "200"),
      }),
    );
  }
  if (verbs.has("create")) {
    collectionOps.push(
      op("post", "create", "post", `create a ${kind.kind}`, {
        parameters: parameters(...writeParams),
        body: { ref: kind.schemaRef, required: true },
        responses: ok(kind.schemaRef, "200", "201", "202"),
      }),
    );
  }
  if (verbs.has("deletecollection")) {
    collectionOps.push(
      op(
        "delete",
        "delete",
        "deletecollection",
        `delete collection of ${kind.kind}`,
        {
          parameters: parameters(...deleteParams, ...listParams.filter((p) => p !== "watch")),
          body: { ref: deleteOptionsRef, required: false },
          responses: ok(statusRef, "200"),
        },
        `Collection${scope}${kind.kind}`,
      ),
    );
  }
  add(collection, [...scopeParams, "pretty"], collectionOps);

  const itemOps: ApiOperation[] = [];
  if (verbs.has("get")) {
    itemOps.push(
      op("get", "read", "get", `read the specified ${kind.kind}`, {
        responses: ok(kind.schemaRef, "200"),
      }),
    );
  }
  if (verbs.has("update")) {
    itemOps.push(
      op("put", "replace", "put", `replace the specified ${kind.kind}`, {
        parameters: parameters(...writeParams),
        body: { ref: kind.schemaRef, required: true },
        responses: ok(kind.schemaRef, "200", "201"),
      }),
    );
  }
  if (verbs.has("delete")) {
    itemOps.push(
      op("delete", "delete", "delete", `delete a ${kind.kind}`, {
        parameters: parameters(...deleteParams),
        body: { ref: deleteOptionsRef, required: false },
        responses: ok(statusRef, "200", "202"),
      }),
    );
  }
  if (verbs.has("patch")) {
    itemOps.push(
      op("patch", "patch", "patch", `partially update the specified ${kind.kind}`, {
        parameters: parameters(...patchParams),
        body: { ref: patchRef, required: true },
        consumes: patchMedia,
        responses: ok(kind.schemaRef, "200", "201"),
      }),
    );
  }
  add(item, ["name", ...scopeParams, "pretty"], itemOps);

  if (verbs.has("watch")) {
    const watchBase = kind.namespaced
      ? `${prefix}/watch/namespaces/{namespace}`
      : `${prefix}/watch`;
    const watchOp = (action: ApiAction, suffix: string, description: string) =>
      op(
        "get",
        "watch",
        action,
        description,
        { produces: watchMedia, responses: ok(watchEventRef, "200") },
        `${scope}${kind.kind}${suffix}`,
      );
    add(
      `${watchBase}/${kind.resource}`,
      [...listParams, ...scopeParams, "pretty"],
      [watchOp("watchlist", "List", `watch individual changes to a list of ${kind.kind}`)],
    );
    add(
      `${watchBase}/${kind.resource}/{name}`,
      [...listParams, "name", ...scopeParams, "pretty"],
      [watchOp("watch", "", `watch changes to an object of kind ${kind.kind}`)],
    );
  }

  if (kind.namespaced) {
    const allNamespaces = (action: ApiAction, verb: string, suffix: string) =>
      op(
        "get",
        verb,
        action,
        `${verb} objects of kind ${kind.kind} across all namespaces`,
        { produces: watchMedia, responses: ok(action === "list" ? listRef : watchEventRef, "200") },
        `${kind.kind}${suffix}ForAllNamespaces`,
      );
    if (verbs.has("list")) {
      add(
        `${prefix}/${kind.resource}`,
        [...listParams, "pretty"],
        [allNamespaces("list", "list", "")],
      );
    }
    if (verbs.has("watch")) {
      add(
        `${prefix}/watch/${kind.resource}`,
        [...listParams, "pretty"],
        [allNamespaces("watchlist", "watch", "List")],
      );
    }
  }

  for (const sub of subresourcesOf(kind)) {
    paths.push(...subresourcePaths(kind, sub, { itemPath: item, naming }));
  }
  return paths;
}
