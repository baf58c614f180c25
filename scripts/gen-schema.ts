/**
 * Generates src/resources/schema/types.generated.ts from the Kubernetes API
 * structure fact sheet (k8s-api-structure.json).
 *
 *   bun scripts/gen-schema.ts [path-to-reference-json] [output-path]
 *
 * The runtime never reads the fact sheet: this script turns it into a compact,
 * committed module that src/resources/schema/schema.ts interprets. The tuple
 * layout written here is documented in src/resources/schema/raw-schema.ts and
 * must stay in step with it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { FieldFlag, RawFieldIndex } from "../src/resources/schema/raw-schema.ts";

type Json = Record<string, unknown>;

interface RefType {
  kind: string;
  name?: string;
  ref?: string;
  named?: string;
  elem?: RefType;
  key?: RefType;
}

interface RefField {
  json: string | null;
  inline: boolean;
  embedded: boolean;
  omitempty: boolean;
  omitzero?: boolean;
  jsonSkip?: boolean;
  optional: boolean;
  required?: boolean;
  type: RefType & { pointer: boolean };
  proto: {
    name: string;
    number: number;
    wireType: number;
    protoType: string;
    repeated: boolean;
    map: boolean;
  } | null;
  patchStrategy: string | null;
  patchMergeKey: string | null;
  listType: string | null;
  listMapKeys: string[];
  mapType: string | null;
  markers?: Record<string, unknown>;
}

interface RefTypeDef {
  protoMessage: string | null;
  fields: RefField[];
  structType?: string;
  protoCustom?: boolean;
  customMethods?: string[];
}

interface RefNamedType {
  protoMessage?: string;
  protoFields?: { name: string; number: number; label: string; type: string }[];
  type: RefType;
}

interface RefPackage {
  protoPackage: string | null;
  types: Record<string, RefTypeDef>;
  namedTypes: Record<string, RefNamedType>;
  enums: Record<string, string[]>;
  protoMessages: Record<string, { name: string; number: number; label: string; type: string }[]>;
}

/**
 * Types whose JSON form is not their Go struct (custom MarshalJSON) or whose
 * protobuf is hand-written. Listed by hand because the fact sheet marks only
 * some of them (RawExtension and FieldsV1 carry json:"-" fields instead);
 * the generator fails if the sheet marks a type that is missing here.
 */
const CUSTOM: Record<string, string> = {
  "meta/v1.Time": "Time",
  "meta/v1.MicroTime": "MicroTime",
  "meta/v1.Duration": "Duration",
  "meta/v1.FieldsV1": "FieldsV1",
  "meta/v1.GroupVersion": "GroupVersion",
  "meta/v1.Patch": "Patch",
  "resource.Quantity": "Quantity",
  "resource.QuantityValue": "Quantity",
  "intstr.IntOrString": "IntOrString",
  "runtime.RawExtension": "RawExtension",
};

const scalarWireType: Record<string, number> = {
  bool: 0,
  int32: 0,
  int64: 0,
  uint32: 0,
  uint64: 0,
  string: 2,
  bytes: 2,
  double: 1,
  float: 5,
};

export function generateSchemaModule(reference: Json, referencePath: string): string {
  const packages = reference.packages as Record<string, RefPackage>;
  const source = reference.source as { repos: Record<string, { tag: string }> };
  const enums = new Map<string, readonly string[]>();
  const wrappers = new Set<string>();
  for (const [pkg, p] of Object.entries(packages)) {
    for (const [name, values] of Object.entries(p.enums)) {
      if (values.length > 0) enums.set(`${pkg}.${name}`, values);
    }
    for (const [name, named] of Object.entries(p.namedTypes)) {
      if (named.protoMessage && named.type.kind === "list") wrappers.add(`${pkg}.${name}`);
    }
  }

  const typeCode = (t: RefType): string => {
    switch (t.kind) {
      case "scalar":
        return t.name as string;
      case "message":
        return `@${t.ref}`;
      case "list": {
        const elem = typeCode(t.elem as RefType);
        return t.named && wrappers.has(t.named) ? `[${t.named}]${elem}` : `[]${elem}`;
      }
      case "map":
        return `map[${typeCode(t.key as RefType)}]${typeCode(t.elem as RefType)}`;
      default:
        // Table cells (any) and RawExtension.Object (interface) hold arbitrary JSON.
        return "any";
    }
  };

  const enumOf = (t: RefType): string => {
    const scalar = t.kind === "list" ? t.elem : t;
    const named = scalar?.kind === "scalar" ? scalar.named : undefined;
    return named && enums.has(named) ? named : "";
  };

  const fieldTuple = (f: RefField): unknown[] => {
    let flags = 0;
    if (f.omitempty) flags |= FieldFlag.OmitEmpty;
    if (f.optional) flags |= FieldFlag.Optional;
    if (f.type.pointer) flags |= FieldFlag.Pointer;
    if (f.required) flags |= FieldFlag.Required;
    if (f.inline && f.json === null) flags |= FieldFlag.Inline;
    if (f.proto?.repeated) flags |= FieldFlag.Repeated;
    if (f.proto?.map) flags |= FieldFlag.Map;
    if (f.omitzero) flags |= FieldFlag.OmitZero;
    const markerDefault = f.markers?.default;
    const tuple: unknown[] = [];
    tuple[RawFieldIndex.Json] = f.jsonSkip ? `-${f.proto?.name ?? ""}` : (f.json ?? "");
    tuple[RawFieldIndex.Type] = typeCode(f.type);
    tuple[RawFieldIndex.Flags] = flags;
    tuple[RawFieldIndex.ProtoNumber] = f.proto?.number ?? 0;
    tuple[RawFieldIndex.WireType] = f.proto?.wireType ?? 0;
    tuple[RawFieldIndex.ProtoType] = f.proto?.protoType ?? "";
    tuple[RawFieldIndex.PatchStrategy] = f.patchStrategy ?? "";
    tuple[RawFieldIndex.PatchMergeKey] = f.patchMergeKey ?? "";
    tuple[RawFieldIndex.ListType] = f.listType ?? "";
    tuple[RawFieldIndex.ListMapKeys] = f.listMapKeys.join(",");
    tuple[RawFieldIndex.MapType] = f.mapType ?? "";
    tuple[RawFieldIndex.Enum] = enumOf(f.type);
    tuple[RawFieldIndex.Default] = typeof markerDefault === "string" ? markerDefault : "";
    return trimTrailing(tuple);
  };

  const protoFieldTuple = (pf: { name: string; number: number; label: string; type: string }) => {
    const elem = pf.type.replace(/^\./, "");
    const isScalar = elem in scalarWireType;
    const repeated = pf.label === "repeated";
    const type = isScalar ? elem : "any";
    const tuple: unknown[] = [];
    tuple[RawFieldIndex.Json] = pf.name;
    tuple[RawFieldIndex.Type] = repeated ? `[]${type}` : type;
    tuple[RawFieldIndex.Flags] = repeated ? FieldFlag.Repeated | FieldFlag.OmitEmpty : 0;
    tuple[RawFieldIndex.ProtoNumber] = pf.number;
    tuple[RawFieldIndex.WireType] = isScalar ? (scalarWireType[elem] as number) : 2;
    tuple[RawFieldIndex.ProtoType] = elem;
    return tuple;
  };

  const lines: string[] = [];
  const refs: string[] = [];
  for (const [pkg, p] of Object.entries(packages)) {
    for (const [name, def] of Object.entries(p.types)) {
      const ref = `${pkg}.${name}`;
      const custom = CUSTOM[ref] ?? "";
      const marksCustom = def.protoCustom || def.customMethods?.includes("MarshalJSON");
      if (marksCustom && !custom) throw new Error(`${ref} is custom-serialised but not in CUSTOM`);
      const protoFields = p.protoMessages[name];
      const fields =
        custom && protoFields ? protoFields.map(protoFieldTuple) : def.fields.map(fieldTuple);
      const defaultMessage = p.protoPackage ? `${p.protoPackage}.${name}` : "";
      const protoMessage = def.protoMessage ?? "";
      refs.push(ref);
      lines.push(
        JSON.stringify(
          trimTrailing([
            ref,
            fields,
            protoMessage === defaultMessage ? "" : protoMessage || "-",
            custom,
            def.structType ?? "",
          ]),
        ),
      );
    }
    // List wrappers (Verbs, ExtraValue) are messages on the wire with one repeated field.
    for (const [name, named] of Object.entries(p.namedTypes)) {
      const ref = `${pkg}.${name}`;
      if (!wrappers.has(ref) || !named.protoFields) continue;
      refs.push(ref);
      lines.push(JSON.stringify([ref, named.protoFields.map(protoFieldTuple)]));
    }
  }
  const duplicates = refs.filter((r, i) => refs.indexOf(r) !== i);
  if (duplicates.length > 0) throw new Error(`duplicate type refs: ${duplicates.join(", ")}`);

  const protoPackages = Object.fromEntries(
    Object.entries(packages).map(([pkg, p]) => [pkg, p.protoPackage ?? ""]),
  );
  const tags = Object.entries(source.repos)
    .map(([repo, r]) => `${repo}@${r.tag}`)
    .join(", ");
  return [
    "// GENERATED by scripts/gen-schema.ts: do not edit by hand.",
    `// Source: ${referencePath} (${tags}).`,
    "// Regenerate: bun scripts/gen-schema.ts [path-to-k8s-api-structure.json]",
    "// Tuple layout: see raw-schema.ts.",
    'import type { RawType } from "./raw-schema.ts";',
    "",
    keepLayout,
    `export const PROTO_PACKAGES: Readonly<Record<string, string>> = ${JSON.stringify(protoPackages)};`,
    "",
    keepLayout,
    "export const ENUMS: Readonly<Record<string, readonly string[]>> = {",
    ...[...enums].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)},`),
    "};",
    "",
    keepLayout,
    "export const TYPES: readonly RawType[] = [",
    ...lines.map((l) => `${l},`),
    "];",
    "",
  ].join("\n");
}

/** One type per line keeps the module small and its diffs readable; the formatter would explode it. */
const keepLayout = "// biome-ignore format: generated, one entry per line";

function trimTrailing(tuple: unknown[]): unknown[] {
  let end = tuple.length;
  while (end > 0 && (tuple[end - 1] === "" || tuple[end - 1] === undefined)) end--;
  return tuple.slice(0, end);
}

if (import.meta.main) {
  const repo = resolve(dirname(import.meta.path), "..");
  const input = resolve(
    process.argv[2] ?? join(repo, "../shared/reference/k8s-api-structure.json"),
  );
  const output = resolve(process.argv[3] ?? join(repo, "src/resources/schema/types.generated.ts"));
  const reference = JSON.parse(readFileSync(input, "utf8")) as Json;
  // Only the file name goes into the header so the output does not depend on where it was read.
  writeFileSync(output, generateSchemaModule(reference, basename(input)));
  console.log(`wrote ${relative(process.cwd(), output)}`);
}
