import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { storageClassKind } from "../../../../src/resources/kinds/storage/storage-class.ts";
import { created, createErrors, updateErrors } from "../apps/kind-harness.ts";

function storageClass(fields: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: "local" }, provisioner: "kubun.io/local", ...fields };
}

describe("storageClassKind", () => {
  test("defaults reclaim policy and binding mode", () => {
    const object = created(storageClassKind, storageClass());
    expect(object.reclaimPolicy).toBe("Delete");
    expect(object.volumeBindingMode).toBe("Immediate");
  });

  test("accepts a class with parameters", () => {
    const input = storageClass({
      parameters: { path: "/var/lib/kubun" },
      volumeBindingMode: "WaitForFirstConsumer",
    });
    expect(createErrors(storageClassKind, input)).toEqual([]);
  });

  const cases: [string, KubeObject, string[]][] = [
    ["a missing provisioner", storageClass({ provisioner: "" }), ["provisioner: Required value"]],
    [
      "a provisioner that is not a qualified name",
      storageClass({ provisioner: "a/b/c" }),
      [
        `provisioner: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
    ],
    [
      "the Recycle reclaim policy",
      storageClass({ reclaimPolicy: "Recycle" }),
      ['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
    ],
    [
      "an unknown binding mode",
      storageClass({ volumeBindingMode: "Later" }),
      [
        'volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"',
      ],
    ],
  ];
  for (const [name, input, expected] of cases) {
    test(`rejects ${name}`, () => {
      expect(createErrors(storageClassKind, input)).toEqual(expected);
    });
  }

  test("rejects updates to what provisioned volumes depend on", () => {
    const stored = created(storageClassKind, storageClass({ parameters: { a: "1" } }));
    const input = storageClass({
      provisioner: "kubun.io/other",
      parameters: { a: "2" },
      reclaimPolicy: "Retain",
      volumeBindingMode: "WaitForFirstConsumer",
    });
    expect(updateErrors(storageClassKind, stored, input)).toEqual([
      "parameters: Forbidden: updates to parameters are forbidden.",
      "provisioner: Forbidden: updates to provisioner are forbidden.",
      "reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.",
      'volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable',
    ]);
    expect(
      updateErrors(
        storageClassKind,
        stored,
        storageClass({ parameters: { a: "1" }, mountOptions: ["ro"] }),
      ),
    ).toEqual([]);
  });
});
