/**
 * Upstream's OpenAPI definition names: the Go package path with its domain
 * reversed, then the type name (`k8s.io/api/core/v1.Pod` becomes
 * `io.k8s.api.core.v1.Pod`). Clients key on these names (kubectl explain
 * prints them, client generators derive class names from them), so kubun
 * names its definitions the same way.
 */
import { PROTO_PACKAGES } from "../../resources/schema/types.generated.ts";

/** The definition name of a schema reference such as "core/v1.Pod". */
export function definitionName(ref: string): string {
  const dot = ref.lastIndexOf(".");
  const pkg = ref.slice(0, dot);
  const name = ref.slice(dot + 1);
  // The protobuf package is the Go import path with dots: k8s.io.api.core.v1.
  const protoPackage = PROTO_PACKAGES[pkg];
  if (protoPackage?.startsWith("k8s.io.")) return `io.k8s.${protoPackage.slice(7)}.${name}`;
  return `io.k8s.kubun.${pkg.replaceAll("/", ".")}.${name}`;
}

/** Where a document keeps its definitions: v2 `#/definitions/`, v3 `#/components/schemas/`. */
export function definitionPointer(ref: string, flavour: "v2" | "v3"): string {
  const base = flavour === "v2" ? "#/definitions/" : "#/components/schemas/";
  return base + definitionName(ref);
}
