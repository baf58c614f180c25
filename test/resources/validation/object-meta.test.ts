import { describe, expect, test } from "bun:test";
import { fieldErrorMessage } from "../../../src/resources/validation/field-error.ts";
import { fieldPath } from "../../../src/resources/validation/field-path.ts";
import {
  nameIsDNS1035Label,
  nameIsDNSSubdomain,
} from "../../../src/resources/validation/name-validators.ts";
import {
  type ObjectMetaFields,
  type ObjectMetaOptions,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../../../src/resources/validation/object-meta.ts";

const namespaced: ObjectMetaOptions = { namespaced: true, nameValidator: nameIsDNSSubdomain };
const clusterScoped: ObjectMetaOptions = { namespaced: false, nameValidator: nameIsDNSSubdomain };
const subdomainError =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelError =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const qualifiedNameError =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

const messages = (meta: ObjectMetaFields, options: ObjectMetaOptions = namespaced) =>
  validateObjectMeta(meta, options).map(fieldErrorMessage);

describe("validateObjectMeta", () => {
  test("accepts a well-formed namespaced object", () => {
    expect(
      messages({
        name: "web",
        namespace: "default",
        labels: { app: "web" },
        annotations: { "example.com/note": "hi" },
        finalizers: ["example.com/cleanup"],
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-1", uid: "u1", controller: true },
        ],
      }),
    ).toEqual([]);
  });

  const table: [
    name: string,
    meta: ObjectMetaFields,
    options: ObjectMetaOptions,
    expected: string[],
  ][] = [
    [
      "a missing name",
      { namespace: "default" },
      namespaced,
      ["metadata.name: Required value: name or generateName is required"],
    ],
    [
      "an invalid name",
      { name: "Foo", namespace: "default" },
      namespaced,
      [`metadata.name: Invalid value: "Foo": ${subdomainError}`],
    ],
    [
      "an invalid generateName",
      { name: "okname", generateName: "Bad-", namespace: "default" },
      namespaced,
      [`metadata.generateName: Invalid value: "Bad-": ${subdomainError}`],
    ],
    ["a missing namespace", { name: "web" }, namespaced, ["metadata.namespace: Required value"]],
    [
      "an invalid namespace",
      { name: "web", namespace: "a.b" },
      namespaced,
      ['metadata.namespace: Invalid value: "a.b": must not contain dots'],
    ],
    [
      "a namespace on a cluster-scoped kind",
      { name: "node-1", namespace: "default" },
      clusterScoped,
      ["metadata.namespace: Forbidden: not allowed on this type"],
    ],
    [
      "a negative generation",
      { name: "web", namespace: "default", generation: -1 },
      namespaced,
      ["metadata.generation: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "a bad label key",
      { name: "web", namespace: "default", labels: { "bad key": "v" } },
      namespaced,
      [`metadata.labels: Invalid value: "bad key": ${qualifiedNameError}`],
    ],
    [
      "a bad annotation key",
      { name: "web", namespace: "default", annotations: { "-x": "v" } },
      namespaced,
      [`metadata.annotations: Invalid value: "-x": ${qualifiedNameError}`],
    ],
    [
      "a bad finalizer",
      { name: "web", namespace: "default", finalizers: ["bad finalizer"] },
      namespaced,
      [`metadata.finalizers: Invalid value: "bad finalizer": ${qualifiedNameError}`],
    ],
    [
      "conflicting deletion finalizers",
      { name: "web", namespace: "default", finalizers: ["orphan", "foregroundDeletion"] },
      namespaced,
      [
        'metadata.finalizers: Invalid value: ["orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
      ],
    ],
    [
      "an unqualified finalizer on a built-in kind",
      { name: "web", namespace: "default", finalizers: ["kubernetes", "mine"] },
      { ...namespaced, standardFinalizersOnly: true },
      [
        'metadata.finalizers[1]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified',
      ],
    ],
    [
      "owner references with missing fields",
      { name: "web", namespace: "default", ownerReferences: [{}] },
      namespaced,
      [
        'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
        'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty',
        'metadata.ownerReferences.name: Invalid value: "": name must not be empty',
        'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
      ],
    ],
    [
      "an owner reference with a bad apiVersion",
      {
        name: "web",
        namespace: "default",
        ownerReferences: [{ apiVersion: "a/b/c", kind: "K", name: "n", uid: "u" }],
      },
      namespaced,
      ['metadata.ownerReferences.apiVersion: Invalid value: "a/b/c": version must not be empty'],
    ],
    [
      "an Event as owner",
      {
        name: "web",
        namespace: "default",
        ownerReferences: [{ apiVersion: "v1", kind: "Event", name: "e", uid: "u" }],
      },
      namespaced,
      [
        'metadata.ownerReferences: Invalid value: {"apiVersion":"v1","kind":"Event","name":"e","uid":"u"}: /v1, Kind=Event is disallowed from being an owner',
      ],
    ],
    [
      "two controllers",
      {
        name: "web",
        namespace: "default",
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "a", uid: "1", controller: true },
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "b", uid: "2", controller: true },
        ],
      },
      namespaced,
      [
        'metadata.ownerReferences: Invalid value: [{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"a","uid":"1","controller":true},{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"b","uid":"2","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b',
      ],
    ],
  ];
  for (const [name, meta, options, expected] of table) {
    test(`reports ${name}`, () => expect(messages(meta, options)).toEqual(expected));
  }

  test("uses the kind's name rule", () => {
    expect(
      messages(
        { name: "1svc", namespace: "default" },
        { namespaced: true, nameValidator: nameIsDNS1035Label },
      ),
    ).toEqual([
      "metadata.name: Invalid value: \"1svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    ]);
  });

  test("reports every problem at once, under a custom path", () => {
    const errors = validateObjectMeta(
      { name: "Foo", namespace: "Bar" },
      { ...namespaced, path: fieldPath("spec", "template", "metadata") },
    );
    expect(errors.map((error) => error.field)).toEqual([
      "spec.template.metadata.name",
      "spec.template.metadata.namespace",
    ]);
    expect(errors[1]?.detail).toBe(labelError);
  });
});

describe("validateObjectMetaUpdate", () => {
  const old: ObjectMetaFields = {
    name: "web",
    namespace: "default",
    uid: "u1",
    resourceVersion: "5",
    generation: 2,
    creationTimestamp: "2024-01-01T00:00:00Z",
  };

  test("accepts an update that keeps identity", () => {
    expect(validateObjectMetaUpdate({ ...old, labels: { a: "b" }, generation: 3 }, old)).toEqual(
      [],
    );
  });

  const table: [name: string, changed: ObjectMetaFields, expected: string[]][] = [
    [
      "a missing resourceVersion",
      { ...old, resourceVersion: "" },
      ['metadata.resourceVersion: Invalid value: "": must be specified for an update'],
    ],
    [
      "a decremented generation",
      { ...old, generation: 1 },
      ["metadata.generation: Invalid value: 1: must not be decremented"],
    ],
    [
      "a renamed object",
      { ...old, name: "api" },
      ['metadata.name: Invalid value: "api": field is immutable'],
    ],
    [
      "a moved object",
      { ...old, namespace: "other" },
      ['metadata.namespace: Invalid value: "other": field is immutable'],
    ],
    ["a new uid", { ...old, uid: "u2" }, ['metadata.uid: Invalid value: "u2": field is immutable']],
    [
      "a new creationTimestamp",
      { ...old, creationTimestamp: "2025-01-01T00:00:00Z" },
      ['metadata.creationTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable'],
    ],
    [
      "a deletionTimestamp set by the client",
      { ...old, deletionTimestamp: "2025-01-01T00:00:00Z" },
      ['metadata.deletionTimestamp: Invalid value: "2025-01-01T00:00:00Z": field is immutable'],
    ],
    [
      "a changed deletionGracePeriodSeconds",
      { ...old, deletionGracePeriodSeconds: 30 },
      ["metadata.deletionGracePeriodSeconds: Invalid value: 30: field is immutable"],
    ],
    [
      "an invalid label",
      { ...old, labels: { a: "-" } },
      [
        "metadata.labels: Invalid value: \"-\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      ],
    ],
  ];
  for (const [name, changed, expected] of table) {
    test(`rejects ${name}`, () => {
      expect(validateObjectMetaUpdate(changed, old).map(fieldErrorMessage)).toEqual(expected);
    });
  }

  test("an object being deleted may drop finalizers but not add them", () => {
    const deleting = {
      ...old,
      deletionTimestamp: "2025-01-01T00:00:00Z",
      finalizers: ["a.io/x", "b.io/y"],
    };
    expect(validateObjectMetaUpdate({ ...deleting, finalizers: ["a.io/x"] }, deleting)).toEqual([]);
    expect(
      validateObjectMetaUpdate(
        { ...deleting, finalizers: ["z.io/new", "a.io/x", "c.io/new"] },
        deleting,
      ).map(fieldErrorMessage),
    ).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"c.io/new", "z.io/new"}',
    ]);
  });

  test("built-in kinds check finalizer names on update too", () => {
    expect(
      validateObjectMetaUpdate({ ...old, finalizers: ["mine"] }, old, {
        standardFinalizersOnly: true,
      }).map(fieldErrorMessage),
    ).toEqual([
      'metadata.finalizers[0]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });
});
