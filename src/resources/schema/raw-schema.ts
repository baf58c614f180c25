/**
 * The compact tuple layout of types.generated.ts, shared by the generator
 * (scripts/gen-schema.ts) and the reader (schema.ts). Tuples keep the
 * generated module small; trailing empty entries are left out.
 */

/** `[ref, fields, protoMessage?, custom?, structType?]`. protoMessage "" = `<protoPackage>.<Name>`, "-" = none. */
export type RawType = readonly [
  ref: string,
  fields: readonly RawField[],
  protoMessage?: string,
  custom?: string,
  structType?: string,
];

/**
 * One field as declared in its Go struct (not flattened). Type codes:
 * `string` | `int32` | `any` … scalar, `@ref` message, `[]T` list,
 * `[wrapperRef]T` list sent as a wrapper message, `map[K]V` map.
 * json "" marks an inline embedded struct; "-name" a field absent from JSON,
 * followed by its protobuf name.
 */
export type RawField = readonly (string | number)[];

export const RawFieldIndex = {
  Json: 0,
  Type: 1,
  Flags: 2,
  ProtoNumber: 3,
  WireType: 4,
  ProtoType: 5,
  PatchStrategy: 6,
  PatchMergeKey: 7,
  ListType: 8,
  ListMapKeys: 9,
  MapType: 10,
  Enum: 11,
  Default: 12,
} as const;

export const FieldFlag = {
  OmitEmpty: 1,
  Optional: 2,
  Pointer: 4,
  Required: 8,
  Inline: 16,
  Repeated: 32,
  Map: 64,
  OmitZero: 128,
} as const;
