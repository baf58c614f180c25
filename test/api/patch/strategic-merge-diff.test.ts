import { describe, expect, test } from "bun:test";
import type { JsonObject } from "../../../src/api/patch/json-value.ts";
import { type PatchMeta, UNKNOWN_PATCH_META } from "../../../src/api/patch/patch-meta.ts";
import { createTwoWayMergePatch } from "../../../src/api/patch/strategic-merge-diff.ts";
import { strategicMergePatch } from "../../../src/api/patch/strategic-merge-patch.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely to state expectations.
type Loose = any;

function pod(): Loose {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", labels: { app: "web", tier: "front" }, finalizers: ["a", "b"] },
    spec: {
      containers: [
        { name: "app", image: "nginx:1.25", env: [{ name: "A", value: "1" }] },
        { name: "sidecar", image: "busybox:1.36" },
      ],
      volumes: [{ name: "data", emptyDir: {} }],
      tolerations: [{ key: "k1", operator: "Exists" }],
    },
  };
}

function edited(edit: (p: Loose) => void): JsonObject {
  const p = pod();
  edit(p);
  return p;
}

describe("createTwoWayMergePatch on built-in kinds", () => {
  test("is empty for identical objects", () => {
    expect(createTwoWayMergePatch(pod(), pod(), "core/v1.Pod")).toEqual({});
  });

  test("sends a changed container by name with the list's order", () => {
    const modified = edited((p) => {
      p.spec.containers[1].image = "busybox:1.37";
    });
    expect(createTwoWayMergePatch(pod(), modified, "core/v1.Pod")).toEqual({
      spec: {
        "$setElementOrder/containers": [{ name: "app" }, { name: "sidecar" }],
        containers: [{ name: "sidecar", image: "busybox:1.37" }],
      },
    });
  });

  test("deletes a removed label with null", () => {
    const modified = edited((p) => {
      delete p.metadata.labels.tier;
    });
    expect(createTwoWayMergePatch(pod(), modified, "core/v1.Pod")).toEqual({
      metadata: { labels: { tier: null } },
    });
  });

  test("deletes a removed container with $patch: delete", () => {
    const modified = edited((p) => {
      p.spec.containers.shift();
    });
    expect(createTwoWayMergePatch(pod(), modified, "core/v1.Pod")).toEqual({
      spec: {
        "$setElementOrder/containers": [{ name: "sidecar" }],
        containers: [{ name: "app", $patch: "delete" }],
      },
    });
  });

  test("sends finalizer changes as additions, a deletion list and the order", () => {
    const modified = edited((p) => {
      p.metadata.finalizers = ["b", "c"];
    });
    expect(createTwoWayMergePatch(pod(), modified, "core/v1.Pod")).toEqual({
      metadata: {
        finalizers: ["c"],
        "$deleteFromPrimitiveList/finalizers": ["a"],
        "$setElementOrder/finalizers": ["b", "c"],
      },
    });
  });

  test("sends a whole atomic list", () => {
    const modified = edited((p) => {
      p.spec.tolerations.push({ key: "k2", operator: "Exists" });
    });
    expect(createTwoWayMergePatch(pod(), modified, "core/v1.Pod")).toEqual({
      spec: {
        tolerations: [
          { key: "k1", operator: "Exists" },
          { key: "k2", operator: "Exists" },
        ],
      },
    });
  });

  test("adds $retainKeys when a volume changes source", () => {
    const modified = edited((p) => {
      p.spec.volumes = [{ name: "data", configMap: { name: "cfg" } }];
    });
    expect(createTwoWayMergePatch(pod(), modified, "core/v1.Pod")).toEqual({
      spec: {
        "$setElementOrder/volumes": [{ name: "data" }],
        volumes: [
          {
            name: "data",
            configMap: { name: "cfg" },
            emptyDir: null,
            $retainKeys: ["configMap", "name"],
          },
        ],
      },
    });
  });

  const modifications: [string, (p: Loose) => void][] = [
    ["append a container", (p) => p.spec.containers.push({ name: "z", image: "z" })],
    ["prepend a container", (p) => p.spec.containers.unshift({ name: "first", image: "f" })],
    ["remove a container", (p) => p.spec.containers.pop()],
    ["reorder containers", (p) => p.spec.containers.reverse()],
    [
      "insert env vars in the middle and change another",
      (p) => {
        p.spec.containers[0].env = [
          { name: "A", value: "2" },
          { name: "B", value: "b" },
          { name: "M", value: "m" },
          { name: "Z", value: "z" },
        ];
      },
    ],
    [
      "switch a volume source",
      (p) => {
        p.spec.volumes[0] = { name: "data", secret: { secretName: "s" } };
      },
    ],
    [
      "replace finalizers",
      (p) => {
        p.metadata.finalizers = ["c", "a", "d"];
      },
    ],
    ["drop tolerations", (p) => delete p.spec.tolerations],
    [
      "change labels",
      (p) => {
        p.metadata.labels = { app: "web2", new: "x" };
      },
    ],
    [
      "add ports",
      (p) => {
        p.spec.containers[0].ports = [{ containerPort: 8080, protocol: "TCP" }];
      },
    ],
  ];

  for (const [name, modify] of modifications) {
    test(`round-trips: ${name}`, () => {
      const modified = edited(modify);
      // Through JSON, as the patch travels from kubectl to the server.
      const patch = JSON.parse(
        JSON.stringify(createTwoWayMergePatch(pod(), modified, "core/v1.Pod")),
      );
      expect(strategicMergePatch(pod(), patch, "core/v1.Pod")).toEqual(modified);
    });
  }
});

const mergeItemMeta: PatchMeta = {
  field(name) {
    switch (name) {
      case "mergingList":
        return { strategies: ["merge"], mergeKey: "name", child: UNKNOWN_PATCH_META };
      case "retainKeysMergingList":
        return { strategies: ["merge", "retainKeys"], mergeKey: "name", child: UNKNOWN_PATCH_META };
      case "mergingIntList":
        return { strategies: ["merge"], child: UNKNOWN_PATCH_META };
      default:
        return undefined;
    }
  },
};

// Original, modified and the two-way patch from upstream's strategicpatch tests.
const upstreamVectors: {
  name: string;
  original: JsonObject;
  modified: JsonObject;
  patch: JsonObject;
}[] = [
  {
    name: "add an item in a list and preserve order",
    original: { mergingList: [{ name: 1 }, { name: 2, value: 2 }] },
    modified: { mergingList: [{ name: 3, value: 3 }, { name: 1 }, { name: 2, value: 2 }] },
    patch: {
      "$setElementOrder/mergingList": [{ name: 3 }, { name: 1 }, { name: 2 }],
      mergingList: [{ name: 3, value: 3 }],
    },
  },
  {
    name: "add and delete items in lists of scalars",
    original: { mergingIntList: [1, 2, 3] },
    modified: { mergingIntList: [1, 2, 4] },
    patch: {
      "$setElementOrder/mergingIntList": [1, 2, 4],
      "$deleteFromPrimitiveList/mergingIntList": [3],
      mergingIntList: [4],
    },
  },
  {
    name: "delete map from merging list",
    original: { mergingList: [{ name: 1 }, { name: 2 }] },
    modified: { mergingList: [{ name: 2 }] },
    patch: {
      "$setElementOrder/mergingList": [{ name: 2 }],
      mergingList: [{ name: 1, $patch: "delete" }],
    },
  },
  {
    name: "retainKeys list of maps changes a field and clears a field",
    original: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "old" }] },
    modified: { retainKeysMergingList: [{ name: "bar" }, { name: "foo", value: "new" }] },
    patch: {
      "$setElementOrder/retainKeysMergingList": [{ name: "bar" }, { name: "foo" }],
      retainKeysMergingList: [{ $retainKeys: ["name", "value"], name: "foo", value: "new" }],
    },
  },
];

describe("createTwoWayMergePatch with explicit metadata (upstream's vectors)", () => {
  for (const c of upstreamVectors) {
    test(c.name, () => {
      expect(createTwoWayMergePatch(c.original, c.modified, mergeItemMeta)).toEqual(c.patch);
      expect(strategicMergePatch(c.original, c.patch, mergeItemMeta)).toEqual(c.modified);
    });
  }
});
