/**
 * Encodes a Swagger 2.0 document as gnostic's `openapi.v2.Document` protobuf
 * (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto), the form
 * kubectl asks /openapi/v2 for (see openApiV2ProtobufMediaTypes), exactly what
 * kube-openapi produces by parsing its JSON document into gnostic and
 * marshalling that.
 *
 * The layout tables below mirror the .proto messages field by field. Values
 * gnostic keeps as `Any` (vendor extensions, enum, default, example) carry
 * their YAML text; JSON is YAML, and kube-openapi reads them with a YAML
 * parser (`x-kubernetes-group-version-kind` included). Keys the tables do not
 * know are refused, never dropped: a silently missing extension would only
 * show up as kubectl computing wrong patches.
 */
import { WireType } from "../protobuf/wire-reader.ts";
import { WireWriter } from "../protobuf/wire-writer.ts";
import type { SwaggerDocument } from "./openapi-v2.ts";
import {
  asArray,
  asObject,
  type Json,
  type JsonObject,
  type Layout,
  layout,
  writeEach,
  writeMessage,
  writeNamed,
  writeNamedAny,
  writeStrings,
  writeVendor,
} from "./protobuf-layout.ts";

/** The media types that ask for this encoding: kubectl sends the first, newer clients the second. */
export const openApiV2ProtobufMediaTypes = [
  "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
  "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
] as const;

/**
 * The Content-Type to answer with, whichever was asked: `@` is not allowed in
 * a media type, and kubectl parses the answer's Content-Type with Go's strict
 * parser (an answer labelled with the `@` form fails with "mime: unexpected
 * content after media subtype"), so upstream answers with the dotted form.
 */
export const openApiV2ProtobufContentType =
  "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

const externalDocs = layout("ExternalDocs", 3);
externalDocs.fields = { description: [1, "string"], url: [2, "string"] };

const xml = layout("Xml", 6);
xml.fields = {
  name: [1, "string"],
  namespace: [2, "string"],
  prefix: [3, "string"],
  attribute: [4, "bool"],
  wrapped: [5, "bool"],
};

const schema = layout("Schema", 31);
schema.fields = {
  $ref: [1, "string"],
  format: [2, "string"],
  title: [3, "string"],
  description: [4, "string"],
  default: [5, "any"],
  multipleOf: [6, "double"],
  maximum: [7, "double"],
  exclusiveMaximum: [8, "bool"],
  minimum: [9, "double"],
  exclusiveMinimum: [10, "bool"],
  maxLength: [11, "int64"],
  minLength: [12, "int64"],
  pattern: [13, "string"],
  maxItems: [14, "int64"],
  minItems: [15, "int64"],
  uniqueItems: [16, "bool"],
  maxProperties: [17, "int64"],
  minProperties: [18, "int64"],
  required: [19, "strings"],
  enum: [20, "anys"],
  additionalProperties: [21, { encode: encodeAdditionalProperties }],
  // TypeItem { repeated string value = 1 }: "type" may be one name or a list.
  type: [22, { encode: (w, n, v) => w.message(n, (t) => writeStrings(t, 1, [v].flat())) }],
  // ItemsItem { repeated Schema schema = 1 }: "items" may be one schema or a list.
  items: [
    23,
    { encode: (w, n, v, where) => w.message(n, (t) => writeEach(t, 1, schema, [v].flat(), where)) },
  ],
  allOf: [24, { repeated: schema }],
  properties: [
    25,
    { encode: (w, n, v, where) => w.message(n, (t) => writeNamed(t, 1, schema, v, where)) },
  ],
  discriminator: [26, "string"],
  readOnly: [27, "bool"],
  xml: [28, { message: xml }],
  externalDocs: [29, { message: externalDocs }],
  example: [30, "any"],
};

const primitivesItems = layout("PrimitivesItems", 18);
primitivesItems.fields = {
  type: [1, "string"],
  format: [2, "string"],
  items: [3, { message: primitivesItems }],
  collectionFormat: [4, "string"],
  default: [5, "any"],
  enum: [16, "anys"],
};

/** Query and formData parameters share one numbering; header and path parameters another. */
const queryNumbers = { required: 1, in: 2, description: 3, name: 4, allowEmptyValue: 5, type: 6 };
const pathNumbers = { required: 1, in: 2, description: 3, name: 4, type: 5 };

function parameterLayout(name: string, numbers: Record<string, number>, vendor: number): Layout {
  const offset = numbers.type as number;
  const result = layout(name, vendor);
  result.fields = {
    required: [1, "bool"],
    in: [2, "string"],
    description: [3, "string"],
    name: [4, "string"],
    ...("allowEmptyValue" in numbers ? { allowEmptyValue: [5, "bool"] as const } : {}),
    type: [offset, "string"],
    format: [offset + 1, "string"],
    items: [offset + 2, { message: primitivesItems }],
    collectionFormat: [offset + 3, "string"],
    default: [offset + 4, "any"],
    maximum: [offset + 5, "double"],
    exclusiveMaximum: [offset + 6, "bool"],
    minimum: [offset + 7, "double"],
    exclusiveMinimum: [offset + 8, "bool"],
    maxLength: [offset + 9, "int64"],
    minLength: [offset + 10, "int64"],
    pattern: [offset + 11, "string"],
    maxItems: [offset + 12, "int64"],
    minItems: [offset + 13, "int64"],
    uniqueItems: [offset + 14, "bool"],
    enum: [offset + 15, "anys"],
    multipleOf: [offset + 16, "double"],
  };
  return result;
}

const queryParameter = parameterLayout("QueryParameterSubSchema", queryNumbers, 23);
const formDataParameter = parameterLayout("FormDataParameterSubSchema", queryNumbers, 23);
const pathParameter = parameterLayout("PathParameterSubSchema", pathNumbers, 22);
const headerParameter = parameterLayout("HeaderParameterSubSchema", pathNumbers, 22);

const bodyParameter = layout("BodyParameter", 6);
bodyParameter.fields = {
  description: [1, "string"],
  name: [2, "string"],
  in: [3, "string"],
  required: [4, "bool"],
  schema: [5, { message: schema }],
};

/** Parameter { oneof { BodyParameter = 1; NonBodyParameter = 2 } }, NonBodyParameter by `in`. */
function encodeParameter(w: WireWriter, value: Json, where: string): void {
  const parameter = asObject(value, where);
  if (parameter.in === "body") {
    w.message(1, (p) => writeMessage(p, bodyParameter, parameter, where));
    return;
  }
  const nonBody: Record<string, [number, Layout]> = {
    header: [1, headerParameter],
    formData: [2, formDataParameter],
    query: [3, queryParameter],
    path: [4, pathParameter],
  };
  const chosen = nonBody[String(parameter.in)];
  if (!chosen)
    throw new Error(`openapi v2 protobuf: parameter "in" ${String(parameter.in)} at ${where}`);
  const [number, sub] = chosen;
  w.message(2, (n) => n.message(number, (p) => writeMessage(p, sub, parameter, where)));
}

/** ParametersItem { oneof { Parameter parameter = 1; JsonReference json_reference = 2 } }. */
function encodeParametersItem(w: WireWriter, number: number, value: Json, where: string): void {
  for (const [i, item] of asArray(value, where).entries()) {
    const object = asObject(item, `${where}[${i}]`);
    w.message(number, (p) => {
      if (typeof object.$ref === "string") {
        p.message(2, (r) => writeMessage(r, jsonReference, object, where));
      } else {
        p.message(1, (inner) => encodeParameter(inner, object, `${where}[${i}]`));
      }
    });
  }
}

const jsonReference = layout("JsonReference");
jsonReference.fields = { $ref: [1, "string"], description: [2, "string"] };

const response = layout("Response", 5);
response.fields = {
  description: [1, "string"],
  // SchemaItem { oneof { Schema schema = 1; FileSchema file_schema = 2 } }; kube never serves files.
  schema: [
    2,
    {
      encode: (w, n, v, where) =>
        w.message(n, (s) =>
          s.message(1, (inner) => writeMessage(inner, schema, asObject(v, where), where)),
        ),
    },
  ],
  examples: [4, { encode: (w, n, v, where) => w.message(n, (e) => writeNamedAny(e, 1, v, where)) }],
};

/** Responses { repeated NamedResponseValue response_code = 1; vendor_extension = 2 }. */
function encodeResponses(w: WireWriter, number: number, value: Json, where: string): void {
  const responses = asObject(value, where);
  w.message(number, (r) => {
    for (const [code, body] of Object.entries(responses)) {
      if (code.startsWith("x-")) {
        writeVendor(r, 2, code, body);
        continue;
      }
      const object = asObject(body, `${where}.${code}`);
      r.message(1, (named) => {
        named.tag(1, WireType.LengthDelimited).string(code);
        named.message(2, (v) =>
          typeof object.$ref === "string"
            ? v.message(2, (ref) => writeMessage(ref, jsonReference, object, where))
            : v.message(1, (inner) => writeMessage(inner, response, object, `${where}.${code}`)),
        );
      });
    }
  });
}

const operation = layout("Operation", 13);
operation.fields = {
  tags: [1, "strings"],
  summary: [2, "string"],
  description: [3, "string"],
  externalDocs: [4, { message: externalDocs }],
  operationId: [5, "string"],
  produces: [6, "strings"],
  consumes: [7, "strings"],
  parameters: [8, { encode: encodeParametersItem }],
  responses: [9, { encode: encodeResponses }],
  schemes: [10, "strings"],
  deprecated: [11, "bool"],
  security: [12, { encode: encodeSecurity }],
};

const pathItem = layout("PathItem", 10);
pathItem.fields = {
  $ref: [1, "string"],
  get: [2, { message: operation }],
  put: [3, { message: operation }],
  post: [4, { message: operation }],
  delete: [5, { message: operation }],
  options: [6, { message: operation }],
  head: [7, { message: operation }],
  patch: [8, { message: operation }],
  parameters: [9, { encode: encodeParametersItem }],
};

/** SecurityRequirement { repeated NamedStringArray additional_properties = 1 }. */
function encodeSecurity(w: WireWriter, number: number, value: Json, where: string): void {
  for (const requirement of asArray(value, where)) {
    w.message(number, (r) => {
      for (const [name, scopes] of Object.entries(asObject(requirement, where))) {
        r.message(1, (named) => {
          named.tag(1, WireType.LengthDelimited).string(name);
          named.message(2, (array) => writeStrings(array, 1, asArray(scopes, where)));
        });
      }
    });
  }
}

const apiKeySecurity = layout("ApiKeySecurity", 5);
apiKeySecurity.fields = {
  type: [1, "string"],
  name: [2, "string"],
  in: [3, "string"],
  description: [4, "string"],
};
const basicSecurity = layout("BasicAuthenticationSecurity", 3);
basicSecurity.fields = { type: [1, "string"], description: [2, "string"] };

/** SecurityDefinitionsItem is a oneof chosen by `type`; OAuth2 schemes are not served by kubun. */
function encodeSecurityDefinitions(
  w: WireWriter,
  number: number,
  value: Json,
  where: string,
): void {
  w.message(number, (d) => {
    for (const [name, definition] of Object.entries(asObject(value, where))) {
      const object = asObject(definition, `${where}.${name}`);
      const chosen: [number, Layout] | undefined =
        object.type === "apiKey"
          ? [2, apiKeySecurity]
          : object.type === "basic"
            ? [1, basicSecurity]
            : undefined;
      if (!chosen)
        throw new Error(
          `openapi v2 protobuf: security scheme type ${String(object.type)} at ${where}`,
        );
      d.message(1, (named) => {
        named.tag(1, WireType.LengthDelimited).string(name);
        named.message(2, (item) =>
          item.message(chosen[0], (s) => writeMessage(s, chosen[1], object, where)),
        );
      });
    }
  });
}

const info = layout("Info", 7);
info.fields = {
  title: [1, "string"],
  version: [2, "string"],
  description: [3, "string"],
  termsOfService: [4, "string"],
};

const tag = layout("Tag", 4);
tag.fields = {
  name: [1, "string"],
  description: [2, "string"],
  externalDocs: [3, { message: externalDocs }],
};

const document = layout("Document", 16);
document.fields = {
  swagger: [1, "string"],
  info: [2, { message: info }],
  host: [3, "string"],
  basePath: [4, "string"],
  schemes: [5, "strings"],
  consumes: [6, "strings"],
  produces: [7, "strings"],
  // Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2 }.
  paths: [8, { encode: encodePaths }],
  // Definitions { repeated NamedSchema additional_properties = 1 }.
  definitions: [
    9,
    { encode: (w, n, v, where) => w.message(n, (d) => writeNamed(d, 1, schema, v, where)) },
  ],
  security: [12, { encode: encodeSecurity }],
  securityDefinitions: [13, { encode: encodeSecurityDefinitions }],
  tags: [14, { repeated: tag }],
  externalDocs: [15, { message: externalDocs }],
};

function encodePaths(w: WireWriter, number: number, value: Json, where: string): void {
  w.message(number, (p) => {
    for (const [path, item] of Object.entries(asObject(value, where))) {
      if (path.startsWith("x-")) {
        writeVendor(p, 1, path, item);
        continue;
      }
      p.message(2, (named) => {
        named.tag(1, WireType.LengthDelimited).string(path);
        named.message(2, (inner) => writeMessage(inner, pathItem, asObject(item, path), path));
      });
    }
  });
}

function encodeAdditionalProperties(
  w: WireWriter,
  number: number,
  value: Json,
  where: string,
): void {
  // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2 } }.
  w.message(number, (a) => {
    if (typeof value === "boolean") a.tag(2, WireType.Varint).bool(value);
    else a.message(1, (s) => writeMessage(s, schema, asObject(value, where), where));
  });
}

const cache = new WeakMap<SwaggerDocument, Uint8Array>();

/** The gnostic protobuf bytes of `doc`, cached per document object. */
export function encodeOpenApiV2Protobuf(doc: SwaggerDocument): Uint8Array {
  const cached = cache.get(doc);
  if (cached) return cached;
  const w = new WireWriter();
  writeMessage(w, document, doc as unknown as JsonObject, "document");
  const bytes = w.finish();
  cache.set(doc, bytes);
  return bytes;
}
