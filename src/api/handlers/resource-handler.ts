import type { KindDefinition, KubeObject, RequestContext } from "../../resources/kind.ts";
import { apiVersionOf, verbsOf } from "../../resources/kind-registry.ts";
import { recordUpdate } from "../apply/managed-fields.ts";
import { badRequest, methodNotAllowed, notFound } from "../errors/status-error.ts";
import { listObjects } from "../registry/list-objects.ts";
import { ObjectWatch } from "../registry/object-watch.ts";
import type { ResourceRegistry } from "../registry/resource-registry.ts";
import { selectionPredicate } from "../registry/selection.ts";
import { appliedObject, applyPatch, parsePatch, patchTypeOf, patchTypes } from "./apply-patch.ts";
import { decodeObjectBody, mediaType, readBody, unknownFields } from "./request-body.ts";
import { booleanParam, deleteOptions, integerParam, writeOptions } from "./request-options.ts";
import type { ResourcePath } from "./resource-path.ts";
import { acceptedFormat, jsonResponse, warningHeader } from "./response.ts";
import { getScale, scaleUpdate } from "./scale.ts";
import { watchResponse } from "./watch-stream.ts";

/** Renders objects as a meta.k8s.io/v1 Table for `kubectl get`. */
export type TablePrinter = (
  kind: KindDefinition,
  objects: KubeObject[],
  options: {
    includeObject: "None" | "Metadata" | "Object";
    resourceVersion?: string;
    continue?: string;
    withColumns: boolean;
  },
) => KubeObject;

/**
 * Answers a POST that stores nothing itself: a review (TokenReview,
 * SubjectAccessReview, …) or a subresource such as serviceaccounts/token.
 */
export type CreateAction = (request: {
  context: RequestContext;
  path: ResourcePath;
  object: KubeObject;
}) => Promise<KubeObject>;

/** Serves a subresource that is a connection rather than an object (pods/log, pods/exec, …). */
export interface ConnectHandler {
  serves(path: ResourcePath): boolean;
  handle(request: Request, path: ResourcePath): Promise<Response>;
}

export interface ResourceHandlerDeps {
  registry: (kind: KindDefinition) => ResourceRegistry;
  printTable: TablePrinter;
  /** The action for a kind's create (subresource "") or a subresource's POST, if it has one. */
  createAction?: (kind: KindDefinition, subresource: string) => CreateAction | undefined;
  connect?: ConnectHandler;
}

/**
 * Serves the REST verbs of every kind (upstream's generic handlers): decodes the
 * request, calls the kind's registry, encodes the answer (JSON or Table).
 */
export class ResourceHandler {
  constructor(private readonly deps: ResourceHandlerDeps) {}

  async handle(
    request: Request,
    path: ResourcePath,
    user: {
      user: string;
      groups: readonly string[];
      uid?: string | undefined;
      extra?: Readonly<Record<string, readonly string[]>> | undefined;
    },
  ) {
    const url = new URL(request.url);
    const query = url.searchParams;
    const registry = this.deps.registry(path.kind);
    const context: RequestContext = {
      user: user.user,
      groups: user.groups,
      namespace: path.namespace,
      dryRun: query.has("dryRun"),
    };
    if (user.uid !== undefined) context.uid = user.uid;
    if (user.extra !== undefined) context.extra = user.extra;
    if (path.subresource && this.deps.connect?.serves(path)) {
      return this.deps.connect.handle(request, path);
    }
    const action =
      request.method.toUpperCase() === "POST"
        ? this.deps.createAction?.(path.kind, path.subresource)
        : undefined;
    if (action) return this.runAction(request, path, context, action);
    const method = request.method.toUpperCase();
    if (path.subresource) return this.subresource(request, path, registry, context, query);
    const verbs = verbsOf(path.kind);
    const allow = (verb: string) => {
      if (!verbs.includes(verb as never)) {
        throw methodNotAllowed(`the server does not allow this method on the requested resource`);
      }
    };
    if (path.kind.namespaced && !path.namespace && path.name) {
      throw notFound({ group: path.group, resource: path.kind.resource, name: path.name });
    }
    switch (method) {
      case "GET":
        if (path.name) {
          allow("get");
          return this.respondObject(
            request,
            path.kind,
            await registry.get(path.namespace, path.name),
          );
        }
        if (booleanParam(query, "watch")) {
          allow("watch");
          return this.watch(request, path, registry, query);
        }
        allow("list");
        return this.list(request, path, registry, query);
      case "POST": {
        if (path.name)
          throw methodNotAllowed("the server does not allow this method on the requested resource");
        allow("create");
        if (path.kind.namespaced && !path.namespace) {
          throw notFound({ group: path.group, resource: path.kind.resource });
        }
        const options = writeOptions(query);
        const { object, warnings } = await this.decodeWrite(
          request,
          path.kind,
          options.fieldValidation,
        );
        const created = await registry.create(context, object, options);
        return jsonResponse(created, 201, warningHeader(warnings));
      }
      case "PUT": {
        if (!path.name)
          throw methodNotAllowed("the server does not allow this method on the requested resource");
        allow("update");
        const options = writeOptions(query);
        const { object, warnings } = await this.decodeWrite(
          request,
          path.kind,
          options.fieldValidation,
        );
        const updated = await registry.update(context, path.name, object, options);
        return jsonResponse(updated, 200, warningHeader(warnings));
      }
      case "PATCH":
        if (!path.name)
          throw methodNotAllowed("the server does not allow this method on the requested resource");
        allow("patch");
        return this.patch(request, path, registry, context, query, "");
      case "DELETE": {
        const body = await this.optionalJson(request);
        const options = deleteOptions(query, body);
        if (!path.name) {
          allow("deletecollection");
          return this.deleteCollection(path, registry, context, query, options);
        }
        allow("delete");
        const deleted = await registry.delete(context, path.name, options);
        return jsonResponse(deleted, deleted.metadata?.deletionTimestamp ? 202 : 200);
      }
      default:
        throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
  }

  private async runAction(
    request: Request,
    path: ResourcePath,
    context: RequestContext,
    action: CreateAction,
  ): Promise<Response> {
    if (path.kind.namespaced && !path.namespace) {
      throw notFound({ group: path.group, resource: path.kind.resource });
    }
    if (!path.subresource && path.name) {
      throw methodNotAllowed("the server does not allow this method on the requested resource");
    }
    const object = decodeObjectBody(await readBody(request), request.headers.get("content-type"));
    return jsonResponse(await action({ context, path, object }), 201);
  }

  private async subresource(
    request: Request,
    path: ResourcePath,
    registry: ResourceRegistry,
    context: RequestContext,
    query: URLSearchParams,
  ): Promise<Response> {
    const method = request.method.toUpperCase();
    const sub = path.subresource;
    if (sub === "status" && path.kind.hasStatus) {
      if (method === "GET") return jsonResponse(await registry.get(path.namespace, path.name));
      if (method === "PUT") {
        const options = writeOptions(query);
        const { object } = await this.decodeWrite(request, path.kind, "Ignore");
        return jsonResponse(
          await registry.update(context, path.name, object, { ...options, subresource: "status" }),
        );
      }
      if (method === "PATCH") return this.patch(request, path, registry, context, query, "status");
    }
    if (
      sub === "finalize" &&
      path.kind.resource === "namespaces" &&
      path.kind.group === "" &&
      method === "PUT"
    ) {
      const options = writeOptions(query);
      const { object } = await this.decodeWrite(request, path.kind, "Ignore");
      return jsonResponse(
        await registry.update(context, path.name, object, { ...options, subresource: "finalize" }),
      );
    }
    if (path.kind.subresourceStrategies?.[sub] && (method === "PUT" || method === "PATCH")) {
      if (method === "PATCH") return this.patch(request, path, registry, context, query, sub);
      const options = writeOptions(query);
      const { object } = await this.decodeWrite(request, path.kind, "Ignore");
      return jsonResponse(
        await registry.update(context, path.name, object, { ...options, subresource: sub }),
      );
    }
    if (sub === "scale" && path.kind.scale) {
      if (method === "GET")
        return jsonResponse(getScale(path.kind, await registry.get(path.namespace, path.name)));
      if (method === "PUT" || method === "PATCH") {
        const options = writeOptions(query);
        const body = await readBody(request);
        const type = method === "PUT" ? "" : mediaType(request.headers.get("content-type"));
        const text = new TextDecoder().decode(body);
        const updated = await registry.modify(
          context,
          path.name,
          (current) => scaleUpdate(path.kind, current, type, text),
          options,
        );
        return jsonResponse(getScale(path.kind, updated));
      }
    }
    if (
      sub === "binding" &&
      path.kind.resource === "pods" &&
      path.kind.group === "" &&
      method === "POST"
    ) {
      const binding = decodeObjectBody(
        await readBody(request),
        request.headers.get("content-type"),
      );
      const target = (binding.target ?? {}) as { name?: string };
      if (!target.name) throw badRequest("Binding target.name is required");
      const options = writeOptions(query);
      await registry.modify(
        context,
        path.name,
        (pod) => {
          const spec = (pod.spec ?? {}) as { nodeName?: string };
          if (spec.nodeName) {
            throw badRequest(`pod ${path.name} is already assigned to node "${spec.nodeName}"`);
          }
          pod.spec = { ...spec, nodeName: target.name };
          return pod;
        },
        { ...options, subresource: "binding" },
      );
      return jsonResponse(
        { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 },
        201,
      );
    }
    throw notFound({
      group: path.group,
      resource: `${path.kind.resource}/${sub}`,
      name: path.name,
    });
  }

  private async list(
    request: Request,
    path: ResourcePath,
    registry: ResourceRegistry,
    query: URLSearchParams,
  ): Promise<Response> {
    const predicate = selectionPredicate(
      path.kind,
      query.get("labelSelector") ?? undefined,
      query.get("fieldSelector") ?? undefined,
    );
    const result = await listObjects(registry, path.namespace, {
      predicate,
      limit: integerParam(query, "limit"),
      continue: query.get("continue") ?? undefined,
      resourceVersion: query.get("resourceVersion") ?? undefined,
      resourceVersionMatch: query.get("resourceVersionMatch") ?? undefined,
    });
    const format = acceptedFormat(request.headers.get("accept"), query.get("includeObject"));
    if (format.table) {
      return jsonResponse(
        this.deps.printTable(path.kind, result.items, {
          includeObject: format.includeObject,
          resourceVersion: result.resourceVersion,
          ...(result.continue ? { continue: result.continue } : {}),
          withColumns: true,
        }),
      );
    }
    const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
    if (result.continue) metadata.continue = result.continue;
    const head = `{"kind":${JSON.stringify(`${path.kind.kind}List`)},"apiVersion":${JSON.stringify(apiVersionOf(path.kind))},"metadata":${JSON.stringify(metadata)},"items":[`;
    // Cached objects keep their JSON: a list is mostly string concatenation.
    const items = result.shared
      ? result.items.map((item) => registry.cache.encode(item))
      : result.items.map((item) => JSON.stringify(item));
    return new Response(`${head}${items.join(",")}]}`, {
      headers: { "content-type": "application/json" },
    });
  }

  async openWatch(
    path: ResourcePath,
    registry: ResourceRegistry,
    query: URLSearchParams,
  ): Promise<ObjectWatch> {
    const predicate = selectionPredicate(
      path.kind,
      query.get("labelSelector") ?? undefined,
      query.get("fieldSelector") ?? undefined,
    );
    return ObjectWatch.open(registry, path.namespace, {
      predicate,
      resourceVersion: query.get("resourceVersion") ?? undefined,
      resourceVersionMatch: query.get("resourceVersionMatch") ?? undefined,
      sendInitialEvents: booleanParam(query, "sendInitialEvents"),
      allowWatchBookmarks: booleanParam(query, "allowWatchBookmarks"),
    });
  }

  /** How a watch's events are encoded: Table rows for kubectl get -w, else cached JSON. */
  watchEncoding(
    request: { headers: Headers },
    kind: KindDefinition,
    registry: ResourceRegistry,
    query: URLSearchParams,
  ) {
    const format = acceptedFormat(request.headers.get("accept"), query.get("includeObject"));
    const transform = this.watchTransform(request, kind, query);
    return format.table
      ? { transform }
      : { transform, encode: (object: KubeObject) => registry.cache.encode(object) };
  }

  /** How watch events' objects are transformed for this request (Table rows for kubectl get -w). */
  watchTransform(request: { headers: Headers }, kind: KindDefinition, query: URLSearchParams) {
    const format = acceptedFormat(request.headers.get("accept"), query.get("includeObject"));
    if (!format.table) return (object: KubeObject) => object;
    return (object: KubeObject, first: boolean) =>
      this.deps.printTable(kind, [object], {
        includeObject: format.includeObject,
        withColumns: first,
      });
  }

  private async watch(
    request: Request,
    path: ResourcePath,
    registry: ResourceRegistry,
    query: URLSearchParams,
  ): Promise<Response> {
    const watch = await this.openWatch(path, registry, query);
    return watchResponse(watch, {
      timeoutSeconds: integerParam(query, "timeoutSeconds"),
      allowWatchBookmarks: booleanParam(query, "allowWatchBookmarks"),
      ...this.watchEncoding(request, path.kind, registry, query),
    });
  }

  private async patch(
    request: Request,
    path: ResourcePath,
    registry: ResourceRegistry,
    context: RequestContext,
    query: URLSearchParams,
    subresource: string,
  ): Promise<Response> {
    const type = patchTypeOf(mediaType(request.headers.get("content-type")));
    const options = writeOptions(query);
    const patch = parsePatch(type, new TextDecoder().decode(await readBody(request)));
    const warnings: string[] = [];
    if (type !== patchTypes.json && patch && typeof patch === "object") {
      this.checkFields(patch, path.kind, options.fieldValidation, warnings, true);
    }
    const isApply = type === patchTypes.apply;
    const owner = {
      // Apply must name its manager; other writes default to the client's name, as upstream.
      fieldManager: options.fieldManager ?? (isApply ? undefined : userAgentManager(request)),
      force: booleanParam(query, "force"),
      subresource,
    };
    if (owner.force && !isApply)
      throw badRequest("force: Forbidden: may not be specified for non-apply patch");
    try {
      const patched = await registry.modify(
        context,
        path.name,
        (current) => {
          const old = structuredClone(current);
          const next = applyPatch(path.kind, current, type, patch, owner);
          if (isApply) return next;
          return recordUpdate({
            kind: path.kind,
            old,
            next,
            manager: owner.fieldManager,
            subresource,
          });
        },
        { ...options, subresource },
      );
      return jsonResponse(patched, 200, warningHeader(warnings));
    } catch (error) {
      // Server-side apply creates what does not exist yet.
      if (type === patchTypes.apply && isNotFound(error) && !subresource) {
        const object = appliedObject(path.kind, patch, owner);
        object.metadata = { ...object.metadata, name: path.name };
        return jsonResponse(
          await registry.create(context, object, options),
          201,
          warningHeader(warnings),
        );
      }
      throw error;
    }
  }

  private async deleteCollection(
    path: ResourcePath,
    registry: ResourceRegistry,
    context: RequestContext,
    query: URLSearchParams,
    options: ReturnType<typeof deleteOptions>,
  ): Promise<Response> {
    const predicate = selectionPredicate(
      path.kind,
      query.get("labelSelector") ?? undefined,
      query.get("fieldSelector") ?? undefined,
    );
    const listed = await listObjects(registry, path.namespace, { predicate });
    const deleted: KubeObject[] = [];
    for (const object of listed.items) {
      const name = object.metadata?.name ?? "";
      try {
        deleted.push(
          await registry.delete(
            { ...context, namespace: object.metadata?.namespace ?? "" },
            name,
            options,
          ),
        );
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return jsonResponse({
      kind: `${path.kind.kind}List`,
      apiVersion: apiVersionOf(path.kind),
      metadata: { resourceVersion: listed.resourceVersion },
      items: deleted,
    });
  }

  private respondObject(request: Request, kind: KindDefinition, object: KubeObject): Response {
    const url = new URL(request.url);
    const format = acceptedFormat(
      request.headers.get("accept"),
      url.searchParams.get("includeObject"),
    );
    if (format.table) {
      return jsonResponse(
        this.deps.printTable(kind, [object], {
          includeObject: format.includeObject,
          withColumns: true,
        }),
      );
    }
    return jsonResponse(object);
  }

  private async decodeWrite(
    request: Request,
    kind: KindDefinition,
    validation: "Strict" | "Warn" | "Ignore",
  ) {
    const object = decodeObjectBody(await readBody(request), request.headers.get("content-type"));
    const expected = apiVersionOf(kind);
    if (object.apiVersion !== undefined && object.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    if (object.kind !== undefined && object.kind !== kind.kind) {
      throw badRequest(
        `the kind in the data (${String(object.kind)}) does not match the expected kind (${kind.kind})`,
      );
    }
    const warnings: string[] = [];
    this.checkFields(object, kind, validation, warnings, false);
    return { object, warnings };
  }

  private checkFields(
    object: unknown,
    kind: KindDefinition,
    validation: "Strict" | "Warn" | "Ignore",
    warnings: string[],
    isPatch: boolean,
  ): void {
    if (validation === "Ignore") return;
    // Patch directives ($patch, $setElementOrder/…, $retainKeys) are not fields.
    const unknown = unknownFields(object, kind.schemaRef).filter(
      (f) => !(isPatch && /(^|\.)\$/.test(f)),
    );
    if (unknown.length === 0) return;
    const messages = unknown.map((field) => `unknown field "${field}"`);
    if (validation === "Strict") throw badRequest(`strict decoding error: ${messages.join(", ")}`);
    warnings.push(...messages);
  }

  private async optionalJson(request: Request): Promise<Record<string, unknown> | null> {
    const body = await readBody(request);
    if (body.byteLength === 0) return null;
    const object = decodeObjectBody(
      body,
      request.headers.get("content-type") ?? "application/json",
    );
    return object as Record<string, unknown>;
  }
}

/** Upstream's default field manager: the user agent up to its first "/" ("kubectl-edit/v1.33…"). */
function userAgentManager(request: Request): string | undefined {
  const agent = request.headers.get("user-agent");
  if (!agent) return undefined;
  return agent.split("/")[0]?.slice(0, 128) || undefined;
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: number }).code === 404;
}
