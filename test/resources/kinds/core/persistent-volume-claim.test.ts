import { describe, expect, test } from "bun:test";
import { persistentVolumeClaimKind } from "../../../../src/resources/kinds/core/persistent-volume-claim.ts";
import { create, type Loose, type LooseObject, meta, update } from "./kind-harness.ts";

type Spec = Loose;

function claim(spec: Spec = {}): LooseObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: meta("data"),
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...spec },
  };
}

describe("persistentVolumeClaimKind", () => {
  test("defaults volumeMode and a Pending phase", () => {
    const { object, errors } = create(persistentVolumeClaimKind, claim());
    expect(errors).toEqual([]);
    expect(object.spec.volumeMode).toBe("Filesystem");
    expect(object.status).toEqual({ phase: "Pending" });
  });

  test.each<[string, Spec, string[]]>([
    [
      "no access modes",
      { accessModes: [] },
      ["spec.accessModes: Required value: at least 1 access mode is required"],
    ],
    ["no storage request", { resources: {} }, ["spec.resources[storage]: Required value"]],
    [
      "a zero storage request",
      { resources: { requests: { storage: "0" } } },
      ['spec.resources[storage]: Invalid value: "0": must be greater than zero'],
    ],
    [
      "ReadWriteOncePod with another mode",
      { accessModes: ["ReadWriteOncePod", "ReadOnlyMany"] },
      ["spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"],
    ],
    [
      "an unknown volume mode",
      { volumeMode: "Raw" },
      ['spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"'],
    ],
  ])("rejects %s", (_, spec, messages) => {
    expect(create(persistentVolumeClaimKind, claim(spec)).messages).toEqual(messages);
  });

  test("lets the binder set volumeName once", () => {
    expect(
      update(persistentVolumeClaimKind, claim({ volumeName: "pv-1" }), claim()).messages,
    ).toEqual([]);
  });

  test("refuses to grow an unbound claim", () => {
    const { messages } = update(
      persistentVolumeClaimKind,
      claim({ resources: { requests: { storage: "2Gi" } } }),
      claim(),
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(
      '- spec.resources.requests.storage: "1Gi"\n+ spec.resources.requests.storage: "2Gi"',
    );
  });

  test("freezes the spec of an unbound claim", () => {
    const { messages } = update(
      persistentVolumeClaimKind,
      claim({ accessModes: ["ReadWriteMany"] }),
      claim(),
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toStartWith(
      "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n",
    );
  });

  test("lets a bound claim grow", () => {
    const grown = claim({ resources: { requests: { storage: "2Gi" } } });
    const bound = { phase: "Bound", capacity: { storage: "1Gi" } };
    expect(update(persistentVolumeClaimKind, grown, claim(), bound).messages).toEqual([]);
  });

  test("refuses to shrink a bound claim to its capacity", () => {
    const old = claim({ resources: { requests: { storage: "2Gi" } } });
    const bound = { phase: "Bound", capacity: { storage: "2Gi" } };
    expect(update(persistentVolumeClaimKind, claim(), old, bound).messages).toEqual([
      "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity",
    ]);
  });
});
