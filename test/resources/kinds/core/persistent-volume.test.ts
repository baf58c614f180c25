import { describe, expect, test } from "bun:test";
import { persistentVolumeKind } from "../../../../src/resources/kinds/core/persistent-volume.ts";
import { create, type Loose, type LooseObject, update } from "./kind-harness.ts";

type Spec = Loose;

function volume(spec: Spec = {}): LooseObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pv-1", uid: "u" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      capacity: { storage: "10Gi" },
      hostPath: { path: "/srv/pv-1" },
      ...spec,
    },
  };
}

describe("persistentVolumeKind", () => {
  test("defaults reclaim policy, volume mode and a Pending phase", () => {
    const { object, errors } = create(persistentVolumeKind, volume());
    expect(errors).toEqual([]);
    expect(object.spec.persistentVolumeReclaimPolicy).toBe("Retain");
    expect(object.spec.volumeMode).toBe("Filesystem");
    expect(object.status.phase).toBe("Pending");
    expect(object.status.lastPhaseTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test.each<[string, Spec, string[]]>([
    ["no access modes", { accessModes: [] }, ["spec.accessModes: Required value"]],
    [
      "an unknown access mode",
      { accessModes: ["ReadWriteAll"] },
      [
        'spec.accessModes: Unsupported value: "ReadWriteAll": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
      ],
    ],
    [
      "a capacity other than storage",
      { capacity: { storage: "1Gi", cpu: "1" } },
      [
        'spec.capacity: Unsupported value: {"storage":"1Gi","cpu":"1"}: supported values: "storage"',
      ],
    ],
    ["no source", { hostPath: undefined }, ["spec: Required value: must specify a volume type"]],
    [
      "two sources",
      { nfs: { server: "nas", path: "/export" } },
      ["spec.nfs: Forbidden: may not specify more than 1 volume type"],
    ],
    [
      "a local volume without node affinity",
      { hostPath: undefined, local: { path: "/mnt/disk" } },
      ["spec.nodeAffinity: Required value: Local volume requires node affinity"],
    ],
  ])("rejects %s", (_, spec, messages) => {
    expect(create(persistentVolumeKind, volume(spec)).messages).toEqual(messages);
  });

  test("freezes the volume source", () => {
    const { messages } = update(
      persistentVolumeKind,
      volume({ hostPath: { path: "/srv/other" } }),
      volume(),
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toStartWith(
      "spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation\n",
    );
  });

  test("allows a changed reclaim policy", () => {
    expect(
      update(persistentVolumeKind, volume({ persistentVolumeReclaimPolicy: "Delete" }), volume())
        .messages,
    ).toEqual([]);
  });

  test("exposes the legacy name field", () => {
    expect(persistentVolumeKind.selectableFields?.(volume())).toEqual({ name: "pv-1" });
  });
});
