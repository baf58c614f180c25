/**
 * The REST paths of a subresource, by how it is served (see
 * SubresourceDescriptor.style): object views (status, scale) get read,
 * replace and patch; actions (binding, eviction, token) a POST; log a GET of
 * text; exec, attach, portforward and proxy `connect` operations.
 */
import type { KindDefinition } from "../../resources/kind.ts";
import type { SubresourceDescriptor } from "../discovery/subresources.ts";
import {
  type ApiAction,
  type ApiOperation,
  type ApiPath,
  anyMedia,
  connectParams,
  type HttpMethod,
  logParams,
  type Naming,
  objectMedia,
  ok,
  patchMedia,
  patchParams,
  patchRef,
  textMedia,
  unauthorized,
  upperFirst,
  writeParams,
} from "./api-operation.ts";
import { parameter, parameters } from "./query-parameters.ts";

/** Where a kind's object lives: its item path (…/pods/{name}) and its operation naming. */
export interface ObjectLocation {
  itemPath: string;
  naming: Naming;
}

/** The paths of subresource `sub` of `kind`, below the object's item path. */
export function subresourcePaths(
  kind: KindDefinition,
  sub: SubresourceDescriptor,
  { itemPath, naming }: ObjectLocation,
): ApiPath[] {
  const path = `${itemPath}/${sub.name}`;
  const scopeParams = kind.namespaced ? ["namespace"] : [];
  const scope = kind.namespaced ? "Namespaced" : "";
  const suffix = upperFirst(sub.name);
  const gvk = { group: sub.group, version: sub.version, kind: sub.kind };
  const verbs = new Set(sub.verbs);
  const op = (
    method: HttpMethod,
    verb: string,
    action: ApiAction,
    description: string,
    rest: Partial<ApiOperation> & Pick<ApiOperation, "responses">,
    subject = `${scope}${kind.kind}${suffix}`,
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
  const shared = parameters("name", ...scopeParams, "pretty");
  const ref = sub.schemaRef;
  const what = `${sub.name} of the specified ${kind.kind}`;

  switch (sub.style) {
    case "object": {
      const operations: ApiOperation[] = [];
      if (verbs.has("get")) {
        operations.push(op("get", "read", "get", `read ${what}`, { responses: ok(ref, "200") }));
      }
      if (verbs.has("update") && ref) {
        operations.push(
          op("put", "replace", "put", `replace ${what}`, {
            parameters: parameters(...writeParams),
            body: { ref, required: true },
            responses: ok(ref, "200", "201"),
          }),
        );
      }
      if (verbs.has("patch")) {
        operations.push(
          op("patch", "patch", "patch", `partially update ${what}`, {
            parameters: parameters(...patchParams),
            body: { ref: patchRef, required: true },
            consumes: patchMedia,
            responses: ok(ref, "200", "201"),
          }),
        );
      }
      return operations.length ? [{ path, parameters: shared, operations }] : [];
    }
    case "create":
      // An action without a known body type cannot be described; it is still served.
      if (!ref) return [];
      return [
        {
          path,
          parameters: shared,
          operations: [
            op("post", "create", "post", `create ${sub.name} of a ${kind.kind}`, {
              parameters: parameters(...writeParams),
              body: { ref, required: true },
              responses: ok(ref, "200", "201", "202"),
            }),
          ],
        },
      ];
    case "log":
      return [
        {
          path,
          parameters: shared,
          operations: [
            op("get", "read", "get", `read ${what}`, {
              parameters: parameters(...logParams),
              produces: textMedia,
              responses: [
                { code: "200", description: "OK", body: { type: "string" } },
                unauthorized,
              ],
            }),
          ],
        },
      ];
    case "connect": {
      const methods: HttpMethod[] =
        sub.name === "proxy"
          ? ["get", "put", "post", "delete", "patch", "head", "options"]
          : ["get", "post"];
      // The proxy's target path travels as a query parameter or as the rest of the URL.
      const queryPath = { ...parameter("path"), in: "query" as const, required: false };
      const ownParams =
        sub.name === "proxy" ? [queryPath] : parameters(...(connectParams[sub.name] ?? []));
      const connect = (withPath: boolean) =>
        methods.map((method) =>
          op(
            method,
            "connect",
            "connect",
            `connect ${method.toUpperCase()} requests to ${what}`,
            {
              parameters: withPath ? [] : ownParams,
              produces: anyMedia,
              responses: [
                { code: "200", description: "OK", body: { type: "string" } },
                unauthorized,
              ],
            },
            `${upperFirst(method)}${scope}${kind.kind}${suffix}${withPath ? "WithPath" : ""}`,
          ),
        );
      const paths: ApiPath[] = [
        { path, parameters: parameters("name", ...scopeParams), operations: connect(false) },
      ];
      if (sub.name === "proxy") {
        paths.push({
          path: `${path}/{path}`,
          parameters: parameters("name", ...scopeParams, "path"),
          operations: connect(true),
        });
      }
      return paths;
    }
  }
}
