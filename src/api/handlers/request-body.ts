import { parse as parseYaml } from "yaml";
import type { KubeObject } from "../../resources/kind.ts";
import { type FieldType, typeSchema } from "../../resources/schema/schema.ts";
import { badRequest, tooLarge, unsupportedMediaType } from "../errors/status-error.ts";
import { builtinRef } from "../protobuf/builtin-ref.ts";
import {
  decodeKubernetesProtobuf,
  KUBERNETES_PROTOBUF_CONTENT_TYPE,
} from "../protobuf/kubernetes-protobuf.ts";
import { ProtobufDecodeError } from "../protobuf/protobuf-decode-error.ts";

/** Request bodies above this are refused (kube-apiserver's limit for writes). */
export const maxBodyBytes = 3 * 1024 * 1024;

/** Reads the whole body, refusing more than `maxBodyBytes` without buffering it all. */
export async function readBody(request: Request): Promise<Uint8Array> {
  const length = request.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (declared > maxBodyBytes) throw tooLarge();
  if (!request.body) return new Uint8Array();
  // Fast path: a declared, acceptable length is read in one go.
  if (length !== null) return new Uint8Array(await request.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > maxBodyBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

export function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Decodes an object body in JSON, YAML or Kubernetes protobuf. */
export function decodeObjectBody(body: Uint8Array, contentType: string | null): KubeObject {
  const type = mediaType(contentType);
  if (type === KUBERNETES_PROTOBUF_CONTENT_TYPE) {
    try {
      return decodeKubernetesProtobuf(body, builtinRef).object as KubeObject;
    } catch (error) {
      if (error instanceof ProtobufDecodeError)
        throw badRequest(`failed to decode protobuf body: ${error.message}`);
      throw error;
    }
  }
  const text = new TextDecoder().decode(body);
  let value: unknown;
  if (type === "application/json" || type === "" || type === "*/*") value = parseJson(text);
  else if (type === "application/yaml" || type === "application/x-yaml" || type === "text/yaml")
    value = parseYamlBody(text);
  else throw unsupportedMediaType();
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("Object 'Kind' is missing in the request body");
  }
  return value as KubeObject;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}

export function parseYamlBody(text: string): unknown {
  try {
    return parseYaml(text);
  } catch (error) {
    throw badRequest(`error converting YAML to JSON: ${(error as Error).message}`);
  }
}

/**
 * Fields the schema of `ref` does not have, as upstream names them in
 * `unknown field "spec.foo"` (fieldValidation Strict and Warn).
 */
export function unknownFields(object: unknown, ref: string): string[] {
  const found: string[] = [];
  walkMessage(object, ref, "", found);
  return found;
}

function walkMessage(value: unknown, ref: string, path: string, found: string[]): void {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  const schema = typeSchema(ref);
  if (!schema || schema.custom) return;
  for (const [name, child] of Object.entries(value)) {
    const field = schema.field(name);
    const childPath = path ? `${path}.${name}` : name;
    if (!field) {
      // apiVersion and kind belong to every top-level object.
      if (path === "" && (name === "apiVersion" || name === "kind")) continue;
      found.push(childPath);
      continue;
    }
    walkType(child, field.type, childPath, found);
  }
}

function walkType(value: unknown, type: FieldType, path: string, found: string[]): void {
  if (value === null || value === undefined) return;
  if (type.kind === "message") walkMessage(value, type.ref, path, found);
  else if (type.kind === "list" && Array.isArray(value)) {
    for (const [index, item] of value.entries())
      walkType(item, type.elem, `${path}[${index}]`, found);
  } else if (type.kind === "map" && typeof value === "object") {
    for (const [key, item] of Object.entries(value))
      walkType(item, type.value, `${path}.${key}`, found);
  }
}
