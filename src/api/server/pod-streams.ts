/**
 * pods/log, pods/exec and pods/attach: served by the pod's node agent, reached
 * through the API server (upstream's LogLocation/ExecLocation/AttachLocation
 * and their proxies). Authorization has happened before these run.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { KubeObject } from "../../resources/kind.ts";
import {
  forbidden as forbiddenField,
  invalid as invalidField,
  notSupported as notSupportedField,
} from "../../resources/validation/field-error.ts";
import { fieldPath } from "../../resources/validation/field-path.ts";
import type { CertificateAuthority } from "../../tls/certificate-authority.ts";
import { badRequest, invalid, type Status, StatusError } from "../errors/status-error.ts";
import type { ResourcePath } from "../handlers/resource-path.ts";
import { agentLocation, internalError, kubeletClientUser, NodeConnector } from "./node-proxy.ts";

export interface PodStreamsDeps {
  /** The pod (404 StatusError when there is none). */
  getPod(namespace: string, name: string): Promise<KubeObject>;
  /** The node (404 StatusError when there is none). */
  getNode(name: string): Promise<KubeObject>;
  connector: NodeConnector;
}

/** Subresources served over an upgraded connection, spliced to the node agent. */
const upgradeSubresources = new Set(["exec", "attach", "portforward"]);

interface ContainerSpec {
  name?: string;
}

interface PodSpec {
  nodeName?: string;
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  ephemeralContainers?: ContainerSpec[];
}

function isPods(path: ResourcePath): boolean {
  return path.group === "" && path.kind.resource === "pods" && path.name !== "";
}

/** nodes/{name}/proxy[/{path}]: proxied to the node's agent at /{path}. */
function isNodeProxy(path: ResourcePath): boolean {
  return (
    path.group === "" &&
    path.kind.resource === "nodes" &&
    path.name !== "" &&
    path.subresource === "proxy"
  );
}

/** Whether a path is pods/exec, pods/attach or pods/portforward, served by `upgrade`. */
export function isPodUpgrade(path: ResourcePath | null): path is ResourcePath {
  return path !== null && isPods(path) && upgradeSubresources.has(path.subresource);
}

/**
 * The container a request names, or the pod's only one; upstream's
 * validateContainer (its messages list every container: init, regular, ephemeral).
 */
export function validateContainer(container: string, pod: KubeObject): string {
  const spec = (pod.spec ?? {}) as PodSpec;
  const name = pod.metadata?.name ?? "";
  const containers = spec.containers ?? [];
  const all = [
    ...(spec.initContainers ?? []),
    ...containers,
    ...(spec.ephemeralContainers ?? []),
  ].map((c) => c.name ?? "");
  if (!container) {
    if (containers.length === 1) return containers[0]?.name ?? "";
    if (containers.length === 0) {
      throw badRequest(`a container name must be specified for pod ${name}`);
    }
    throw badRequest(
      `a container name must be specified for pod ${name}, choose one of: [${all.join(" ")}]`,
    );
  }
  if (!all.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  return container;
}

/** strconv.ParseBool, as upstream decodes boolean query parameters. */
function boolean(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null || value === "") return false;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw badRequest(`${name}: invalid boolean value ${JSON.stringify(value)}`);
}

function integer(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  if (!/^-?\d+$/.test(value)) {
    throw badRequest(`${name}: Invalid value: "${value}": must be an integer`);
  }
  return Number(value);
}

/**
 * The agent's query for PodLogOptions (validated as upstream's
 * ValidatePodLogOptions: 422 PodLogOptions "<pod>" is invalid).
 */
export function logQuery(query: URLSearchParams, podName: string): URLSearchParams {
  const tailLines = integer(query, "tailLines");
  const limitBytes = integer(query, "limitBytes");
  const sinceSeconds = integer(query, "sinceSeconds");
  const sinceTimeText = query.get("sinceTime");
  let sinceTime: string | undefined;
  if (sinceTimeText) {
    const time = Date.parse(sinceTimeText);
    if (!Number.isFinite(time)) {
      throw badRequest(
        `sinceTime: parsing time ${JSON.stringify(sinceTimeText)} as RFC3339: invalid time`,
      );
    }
    sinceTime = new Date(Math.floor(time / 1000) * 1000).toISOString().replace(".000Z", "Z");
  }
  const errors = [];
  if (tailLines !== undefined && tailLines < 0) {
    errors.push(
      invalidField(fieldPath("tailLines"), tailLines, "must be greater than or equal to 0"),
    );
  }
  if (limitBytes !== undefined && limitBytes < 1) {
    errors.push(invalidField(fieldPath("limitBytes"), limitBytes, "must be greater than 0"));
  }
  if (sinceSeconds !== undefined && sinceTime !== undefined) {
    errors.push(
      forbiddenField(undefined, "at most one of `sinceTime` or `sinceSeconds` may be specified"),
    );
  } else if (sinceSeconds !== undefined && sinceSeconds < 1) {
    errors.push(invalidField(fieldPath("sinceSeconds"), sinceSeconds, "must be greater than 0"));
  }
  const stream = query.get("stream");
  if (stream && stream !== "All" && stream !== "Stdout" && stream !== "Stderr") {
    errors.push(notSupportedField(fieldPath("stream"), stream, ["All", "Stderr", "Stdout"]));
  }
  if (stream && stream !== "All" && tailLines !== undefined) {
    errors.push(
      forbiddenField(undefined, "`tailLines` and specific `stream` are mutually exclusive for now"),
    );
  }
  if (errors.length > 0) throw invalid("PodLogOptions", "", podName, errors);
  const params = new URLSearchParams();
  if (boolean(query, "follow")) params.set("follow", "true");
  if (boolean(query, "previous")) params.set("previous", "true");
  if (boolean(query, "timestamps")) params.set("timestamps", "true");
  if (sinceSeconds !== undefined) params.set("sinceSeconds", String(sinceSeconds));
  if (sinceTime !== undefined) params.set("sinceTime", sinceTime);
  if (tailLines !== undefined) params.set("tailLines", String(tailLines));
  if (limitBytes !== undefined) params.set("limitBytes", String(limitBytes));
  if (stream) params.set("stream", stream);
  return params;
}

/**
 * The agent's query for PodExecOptions/PodAttachOptions (the kubelet's
 * parameter names) or PodPortForwardOptions (`ports` → one `port=a,b`).
 */
export function streamQuery(query: URLSearchParams, subresource: string): URLSearchParams {
  const params = new URLSearchParams();
  if (subresource === "portforward") {
    const ports = query.getAll("ports").flatMap((value) => value.split(","));
    for (const port of ports) {
      const number = Number(port);
      if (!/^\d+$/.test(port) || number < 1 || number > 65535) {
        throw badRequest(`ports: Invalid value: "${port}": must be between 1 and 65535, inclusive`);
      }
    }
    if (ports.length > 0) params.set("port", ports.join(","));
    return params;
  }
  if (boolean(query, "stdin")) params.set("input", "1");
  if (boolean(query, "stdout")) params.set("output", "1");
  if (boolean(query, "stderr")) params.set("error", "1");
  if (boolean(query, "tty")) params.set("tty", "1");
  if (subresource === "exec") for (const c of query.getAll("command")) params.append("command", c);
  return params;
}

/**
 * What an agent's error answer becomes (upstream's GenericHttpResponseChecker):
 * 400 BadRequest and 500 InternalError with the agent's text, else a Status of
 * the same code carrying it.
 */
export function agentError(code: number, body: string): StatusError {
  const text = body.trim();
  if (code === 400) return badRequest(text);
  if (code === 500) return internalError(text);
  const reasons: Record<number, string> = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    422: "Invalid",
    429: "TooManyRequests",
    503: "ServiceUnavailable",
  };
  const status: Status = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: text || `the node agent answered ${code}`,
    reason: reasons[code] ?? "InternalError",
    code,
  };
  return new StatusError(status);
}

function segment(value: string): string {
  return encodeURIComponent(value);
}

export class PodStreams {
  constructor(private readonly deps: PodStreamsDeps) {}

  /** The REST side: the pod subresources served here, answered through the Hono app. */
  serves(path: ResourcePath): boolean {
    return (
      isNodeProxy(path) ||
      (isPods(path) && (path.subresource === "log" || upgradeSubresources.has(path.subresource)))
    );
  }

  /** GET pods/log and nodes/proxy; exec and attach without an upgrade are refused (they are streams). */
  async handle(request: Request, path: ResourcePath): Promise<Response> {
    const method = request.method.toUpperCase();
    if (path.subresource !== "log" && !isNodeProxy(path)) {
      throw badRequest("Upgrade request required");
    }
    if (method !== "GET") {
      throw new StatusError({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "the server does not allow this method on the requested resource",
        reason: "MethodNotAllowed",
        code: 405,
      });
    }
    if (isNodeProxy(path)) return this.nodeProxy(request, path);
    return this.logs(request, path);
  }

  /**
   * GET nodes/{name}/proxy/{path}: the agent's answer to GET /{path} (with the
   * query), status, content type and body as they are.
   */
  private async nodeProxy(request: Request, path: ResourcePath): Promise<Response> {
    const location = agentLocation(await this.deps.getNode(path.name));
    const url = new URL(request.url);
    const target = `/${(path.proxyPath ?? "").split("/").map(segment).join("/")}${url.search}`;
    const answer = await this.deps.connector.get(location, target, request.signal);
    const headers = new Headers({ "cache-control": "no-cache, private" });
    const type = answer.headers.get("content-type");
    if (type) headers.set("content-type", type);
    return new Response(answer.body, { status: answer.status, headers });
  }

  private async logs(request: Request, path: ResourcePath): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const params = logQuery(query, path.name);
    const pod = await this.deps.getPod(path.namespace, path.name);
    const container = validateContainer(query.get("container") ?? "", pod);
    const nodeName = ((pod.spec ?? {}) as PodSpec).nodeName;
    const headers = { "content-type": "text/plain", "cache-control": "no-cache, private" };
    // As upstream: a pod not yet on a node has no logs, which is not an error.
    if (!nodeName) return new Response("", { status: 200, headers });
    const location = agentLocation(await this.deps.getNode(nodeName));
    const target = `/containerLogs/${segment(path.namespace)}/${segment(path.name)}/${segment(container)}${params.size > 0 ? `?${params}` : ""}`;
    const answer = await this.deps.connector.get(location, target, request.signal);
    if (answer.status < 200 || answer.status > 206) {
      throw agentError(answer.status, await answer.text().catch(() => ""));
    }
    return new Response(answer.body, { status: 200, headers });
  }

  /**
   * pods/exec, pods/attach or pods/portforward over an upgraded connection
   * (WebSocket, SPDY, or whatever the agent speaks): resolves pod, container
   * and node, then splices the client to the agent (upstream's
   * ExecLocation/AttachLocation/PortForwardLocation and UpgradeAwareHandler).
   * Errors before that are written as a Status.
   */
  async upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    path: ResourcePath,
    url: URL,
  ): Promise<void> {
    try {
      const pod = await this.deps.getPod(path.namespace, path.name);
      const portForward = path.subresource === "portforward";
      const container = portForward
        ? ""
        : validateContainer(url.searchParams.get("container") ?? "", pod);
      const nodeName = ((pod.spec ?? {}) as PodSpec).nodeName;
      if (!nodeName) throw badRequest(`pod ${path.name} does not have a host assigned`);
      const location = agentLocation(await this.deps.getNode(nodeName));
      const params = streamQuery(url.searchParams, path.subresource);
      const podPath = `${segment(path.namespace)}/${segment(path.name)}`;
      const target = portForward
        ? `/portForward/${podPath}${params.size > 0 ? `?${params}` : ""}`
        : `/${path.subresource}/${podPath}/${segment(container)}?${params}`;
      await this.deps.connector.upgrade(location, target, request, socket, head);
    } catch (error) {
      if (error instanceof StatusError) return writeStatus(socket, error);
      writeStatus(socket, internalError(error instanceof Error ? error.message : String(error)));
    }
  }
}

const reasonPhrases: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  422: "Unprocessable Entity",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/**
 * Answers an upgrade request with a Status and closes: client-go (WebSocket
 * and SPDY alike) decodes it and prints "Error from server (Reason): message".
 */
export function writeStatus(socket: Duplex, error: StatusError): void {
  const body = JSON.stringify(error.status);
  const phrase = reasonPhrases[error.code] ?? "Error";
  socket.end(
    `HTTP/1.1 ${error.code} ${phrase}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * PodStreams with the API server's kubelet client certificate (CN
 * kube-apiserver-kubelet-client, O system:masters), issued in memory from the
 * cluster CA, which also verifies the agents' serving certificates.
 */
export async function createPodStreams(
  ca: CertificateAuthority,
  lookups: Omit<PodStreamsDeps, "connector">,
): Promise<PodStreams> {
  const issued = await ca.issue({
    commonName: kubeletClientUser,
    organizations: ["system:masters"],
    usages: ["clientAuth"],
    validityDays: 365,
  });
  const connector = new NodeConnector({
    caPem: ca.certPem,
    certPem: issued.certPem,
    keyPem: issued.keyPem ?? "",
  });
  return new PodStreams({ ...lookups, connector });
}
