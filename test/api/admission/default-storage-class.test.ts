import { describe, expect, test } from "bun:test";
import { DefaultStorageClass } from "../../../src/api/admission/default-storage-class.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { kinds, MemoryReader, request } from "./support.ts";

const CLASSES = { group: "storage.k8s.io", resource: "storageclasses" };

const storageClass = (
  name: string,
  isDefault: boolean,
  created = "2024-01-01T00:00:00Z",
): KubeObject => ({
  metadata: {
    name,
    creationTimestamp: created,
    annotations: isDefault ? { "storageclass.kubernetes.io/is-default-class": "true" } : {},
  },
  provisioner: "example.com/p",
});

const claim = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "data", namespace: "ns" },
  spec: { accessModes: ["ReadWriteOnce"], ...spec },
});

async function classAfter(object: KubeObject, ...classes: KubeObject[]) {
  const plugin = new DefaultStorageClass(new MemoryReader().add(CLASSES, ...classes));
  await plugin.mutate(request(kinds.claims, object));
  return (object.spec as { storageClassName?: string | null }).storageClassName;
}

describe("DefaultStorageClass", () => {
  test("gives a claim without a class the default class", async () => {
    expect(
      await classAfter(claim({}), storageClass("slow", false), storageClass("local-path", true)),
    ).toBe("local-path");
  });

  test("keeps a named class, an explicit empty class and the beta annotation", async () => {
    const classes = [storageClass("local-path", true)];
    expect(await classAfter(claim({ storageClassName: "slow" }), ...classes)).toBe("slow");
    expect(await classAfter(claim({ storageClassName: "" }), ...classes)).toBe("");
    const annotated = claim({});
    annotated.metadata = {
      ...annotated.metadata,
      annotations: { "volume.beta.kubernetes.io/storage-class": "old" },
    };
    expect(await classAfter(annotated, ...classes)).toBeUndefined();
  });

  test("leaves the claim alone when there is no default, and picks the newest of several", async () => {
    expect(await classAfter(claim({}), storageClass("slow", false))).toBeUndefined();
    expect(
      await classAfter(
        claim({}),
        storageClass("older", true, "2024-01-01T00:00:00Z"),
        storageClass("newer", true, "2024-06-01T00:00:00Z"),
      ),
    ).toBe("newer");
  });

  test("only changes claims being created", async () => {
    const object = claim({});
    const plugin = new DefaultStorageClass(
      new MemoryReader().add(CLASSES, storageClass("local-path", true)),
    );
    await plugin.mutate(request(kinds.claims, object, { operation: "UPDATE", oldObject: object }));
    expect((object.spec as { storageClassName?: string }).storageClassName).toBeUndefined();
  });
});
