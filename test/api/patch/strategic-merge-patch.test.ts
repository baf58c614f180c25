import { describe, expect, test } from "bun:test";
import type { JsonObject, JsonValue } from "../../../src/api/patch/json-value.ts";
import type { PatchErrorReason } from "../../../src/api/patch/patch-error.ts";
import { type PatchMeta, UNKNOWN_PATCH_META } from "../../../src/api/patch/patch-meta.ts";
import { strategicMergePatch } from "../../../src/api/patch/strategic-merge-patch.ts";
import { expectPatchError } from "./expect-patch-error.ts";

// biome-ignore lint/suspicious/noExplicitAny: fixtures are edited freely to state expectations.
type Loose = any;

function pod(): Loose {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", labels: { app: "web", tier: "front" }, finalizers: ["a", "b"] },
    spec: {
      containers: [
        {
          name: "app",
          image: "nginx:1.25",
          env: [{ name: "A", value: "1" }],
          ports: [{ containerPort: 80, protocol: "TCP" }],
        },
        { name: "sidecar", image: "busybox:1.36" },
      ],
      volumes: [{ name: "data", emptyDir: {} }],
      tolerations: [{ key: "k1", operator: "Exists" }],
    },
  };
}

function deployment(): Loose {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "x", namespace: "default", labels: { app: "x" }, annotations: { team: "a" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: "x" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: "x" } },
        spec: { containers: [{ name: "nginx", image: "nginx:1.25" }] },
      },
    },
  };
}

/** The base object with `edit` applied: each case states only what changes. */
function edited(base: () => Loose, edit: (object: Loose) => void): JsonObject {
  const object = base();
  edit(object);
  return object;
}

interface Case {
  name: string;
  base: () => Loose;
  ref: string;
  patch: JsonValue;
  want: JsonObject;
}

const cases: Case[] = [
  {
    name: "changes a container image by name, keeping the order",
    base: pod,
    ref: "core/v1.Pod",
    patch: { spec: { containers: [{ name: "sidecar", image: "busybox:1.37" }] } },
    want: edited(pod, (p) => {
      p.spec.containers[1].image = "busybox:1.37";
    }),
  },
  {
    name: "applies the patch kubectl set image sends",
    base: pod,
    ref: "core/v1.Pod",
    patch: {
      spec: {
        "$setElementOrder/containers": [{ name: "app" }, { name: "sidecar" }],
        containers: [{ image: "nginx:1.27", name: "app" }],
      },
    },
    want: edited(pod, (p) => {
      p.spec.containers[0].image = "nginx:1.27";
    }),
  },
  {
    name: "adds an env var; new elements go before server-only ones, as upstream orders them",
    base: pod,
    ref: "core/v1.Pod",
    patch: { spec: { containers: [{ name: "app", env: [{ name: "B", value: "2" }] }] } },
    want: edited(pod, (p) => {
      p.spec.containers[0].env = [
        { name: "B", value: "2" },
        { name: "A", value: "1" },
      ];
    }),
  },
  {
    name: "adds an env var where $setElementOrder puts it",
    base: pod,
    ref: "core/v1.Pod",
    patch: {
      spec: {
        containers: [
          {
            name: "app",
            "$setElementOrder/env": [{ name: "A" }, { name: "B" }],
            env: [{ name: "B", value: "2" }],
          },
        ],
      },
    },
    want: edited(pod, (p) => {
      p.spec.containers[0].env.push({ name: "B", value: "2" });
    }),
  },
  {
    name: "deletes a container with $patch: delete",
    base: pod,
    ref: "core/v1.Pod",
    patch: { spec: { containers: [{ name: "sidecar", $patch: "delete" }] } },
    want: edited(pod, (p) => {
      p.spec.containers.pop();
    }),
  },
  {
    name: "replaces the container list with $patch: replace",
    base: pod,
    ref: "core/v1.Pod",
    patch: { spec: { containers: [{ name: "only", image: "x" }, { $patch: "replace" }] } },
    want: edited(pod, (p) => {
      p.spec.containers = [{ name: "only", image: "x" }];
    }),
  },
  {
    name: "reorders containers with $setElementOrder alone",
    base: pod,
    ref: "core/v1.Pod",
    patch: { spec: { "$setElementOrder/containers": [{ name: "sidecar" }, { name: "app" }] } },
    want: edited(pod, (p) => {
      p.spec.containers.reverse();
    }),
  },
  {
    name: "switches a volume from emptyDir to configMap with $retainKeys",
    base: pod,
    ref: "core/v1.Pod",
    patch: {
      spec: {
        "$setElementOrder/volumes": [{ name: "data" }],
        volumes: [{ $retainKeys: ["configMap", "name"], configMap: { name: "cfg" }, name: "data" }],
      },
    },
    want: edited(pod, (p) => {
      p.spec.volumes = [{ name: "data", configMap: { name: "cfg" } }];
    }),
  },
  {
    name: "keeps the old volume source without $retainKeys",
    base: pod,
    ref: "core/v1.Pod",
    patch: { spec: { volumes: [{ configMap: { name: "cfg" }, name: "data" }] } },
    want: edited(pod, (p) => {
      p.spec.volumes = [{ name: "data", emptyDir: {}, configMap: { name: "cfg" } }];
    }),
  },
  {
    name: "deletes a label with null (kubectl label tier-)",
    base: pod,
    ref: "core/v1.Pod",
    patch: { metadata: { labels: { tier: null } } },
    want: edited(pod, (p) => {
      delete p.metadata.labels.tier;
    }),
  },
  {
    name: "adds an annotation (kubectl annotate)",
    base: pod,
    ref: "core/v1.Pod",
    patch: { metadata: { annotations: { note: "hi" } } },
    want: edited(pod, (p) => {
      p.metadata.annotations = { note: "hi" };
    }),
  },
  {
    name: "merges finalizers as a set",
    base: pod,
    ref: "core/v1.Pod",
    patch: { metadata: { finalizers: ["b", "c"] } },
    want: edited(pod, (p) => {
      p.metadata.finalizers = ["a", "b", "c"];
    }),
  },
  {
    name: "puts a new finalizer first when the patch gives no order",
    base: pod,
    ref: "core/v1.Pod",
    patch: { metadata: { finalizers: ["c"] } },
    want: edited(pod, (p) => {
      p.metadata.finalizers = ["c", "a", "b"];
    }),
  },
  {
    name: "removes a finalizer with $deleteFromPrimitiveList",
    base: pod,
    ref: "core/v1.Pod",
    patch: { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } },
    want: edited(pod, (p) => {
      p.metadata.finalizers = ["b"];
    }),
  },
  {
    name: "replaces tolerations, an atomic list",
    base: pod,
    ref: "core/v1.Pod",
    patch: { spec: { tolerations: [{ key: "k2", operator: "Exists" }] } },
    want: edited(pod, (p) => {
      p.spec.tolerations = [{ key: "k2", operator: "Exists" }];
    }),
  },
  {
    name: "merges ports by containerPort",
    base: pod,
    ref: "core/v1.Pod",
    patch: {
      spec: { containers: [{ name: "app", ports: [{ containerPort: 80, name: "http" }] }] },
    },
    want: edited(pod, (p) => {
      p.spec.containers[0].ports = [{ containerPort: 80, protocol: "TCP", name: "http" }];
    }),
  },
  {
    name: "deletes a whole field with null",
    base: pod,
    ref: "core/v1.Pod",
    patch: { spec: { tolerations: null } },
    want: edited(pod, (p) => {
      delete p.spec.tolerations;
    }),
  },
  {
    name: "empties a map with $patch: delete",
    base: pod,
    ref: "core/v1.Pod",
    patch: { metadata: { labels: { $patch: "delete" } } },
    want: edited(pod, (p) => {
      p.metadata.labels = {};
    }),
  },
  {
    name: "replaces a map with $patch: replace",
    base: pod,
    ref: "core/v1.Pod",
    patch: { metadata: { labels: { $patch: "replace", only: "x" } } },
    want: edited(pod, (p) => {
      p.metadata.labels = { only: "x" };
    }),
  },
  {
    name: "lands a new element without its nulls",
    base: pod,
    ref: "core/v1.Pod",
    patch: { spec: { containers: [{ name: "new", image: "i", workingDir: null }] } },
    want: edited(pod, (p) => {
      p.spec.containers.unshift({ name: "new", image: "i" });
    }),
  },
  {
    name: "replaces a PodDisruptionBudget selector whole (strategy replace)",
    base: () => ({
      spec: {
        minAvailable: 1,
        selector: {
          matchLabels: { app: "a" },
          matchExpressions: [{ key: "k", operator: "Exists" }],
        },
      },
    }),
    ref: "policy/v1.PodDisruptionBudget",
    patch: { spec: { selector: { matchLabels: { app: "b" } } } },
    want: { spec: { minAvailable: 1, selector: { matchLabels: { app: "b" } } } },
  },
  {
    name: "scales a deployment (kubectl scale)",
    base: deployment,
    ref: "apps/v1.Deployment",
    patch: { spec: { replicas: 3 } },
    want: edited(deployment, (d) => {
      d.spec.replicas = 3;
    }),
  },
  {
    name: "switches a deployment to Recreate, clearing rollingUpdate with $retainKeys",
    base: deployment,
    ref: "apps/v1.Deployment",
    patch: { spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } },
    want: edited(deployment, (d) => {
      d.spec.strategy = { type: "Recreate" };
    }),
  },
  {
    name: "applies the patch kubectl apply sent in the recorded trace",
    base: deployment,
    ref: "apps/v1.Deployment",
    patch: {
      metadata: {
        annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}\n" },
        labels: { app: "x" },
      },
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "nginx" }],
            containers: [{ image: "nginx:1.27", name: "nginx" }],
          },
        },
      },
    },
    want: edited(deployment, (d) => {
      d.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] = "{}\n";
      d.spec.template.spec.containers[0].image = "nginx:1.27";
    }),
  },
  {
    name: "patches a type the schema does not know like a JSON merge patch",
    base: () => ({ spec: { items: [{ name: "a", v: 1 }], m: { x: 1 } } }),
    ref: "example.com/v1.Widget",
    patch: { spec: { items: [{ name: "a", v: 2 }], m: { y: 2 } } },
    want: { spec: { items: [{ name: "a", v: 2 }], m: { x: 1, y: 2 } } },
  },
];

describe("strategicMergePatch on built-in kinds", () => {
  for (const c of cases) {
    test(c.name, () => {
      expect(strategicMergePatch(c.base(), c.patch, c.ref)).toEqual(c.want);
    });
  }

  test("keeps the result's list order exactly", () => {
    const result = strategicMergePatch(
      pod(),
      { spec: { "$setElementOrder/containers": [{ name: "sidecar" }, { name: "app" }] } },
      "core/v1.Pod",
    ) as Loose;
    expect(result.spec.containers.map((c: { name: string }) => c.name)).toEqual(["sidecar", "app"]);
  });

  test("never modifies the object or the patch", () => {
    const original = pod();
    const patch = {
      metadata: { labels: { tier: null } },
      spec: { containers: [{ name: "app", env: [{ name: "B", value: "2" }] }] },
    };
    const before = JSON.stringify([original, patch]);
    const result = strategicMergePatch(original, patch, "core/v1.Pod") as Loose;
    result.spec.containers[0].env[0].value = "changed";
    expect(JSON.stringify([original, patch])).toBe(before);
  });

  test("a __proto__ key is an ordinary label, not the object's prototype", () => {
    const patch = JSON.parse('{"metadata":{"labels":{"__proto__":"x"}}}');
    const result = strategicMergePatch(pod(), patch, "core/v1.Pod") as Loose;
    expect(Object.keys(result.metadata.labels)).toEqual(["app", "tier", "__proto__"]);
    expect(Object.getPrototypeOf(result.metadata.labels)).toBe(Object.prototype);
  });

  test("null is an empty patch", () => {
    expect(strategicMergePatch(pod(), null, "core/v1.Pod")).toEqual(pod());
  });
});

interface ErrorCase {
  name: string;
  patch: JsonValue;
  reason: PatchErrorReason;
  message: string;
}

const errors: ErrorCase[] = [
  {
    name: "a merged list element without its merge key",
    patch: { spec: { containers: [{ image: "x" }] } },
    reason: "BadRequest",
    message: "map: map[image:x] does not contain declared merge key: name",
  },
  {
    name: "$patch: merge in a list element",
    patch: { spec: { containers: [{ name: "app", $patch: "merge" }] } },
    reason: "BadRequest",
    message: "merging lists cannot yet be specified in the patch",
  },
  {
    name: "$patch: merge in an object",
    patch: { metadata: { labels: { $patch: "merge", a: "b" } } },
    reason: "BadRequest",
    message: "unknown patch type: merge in map: map[$patch:merge a:b]",
  },
  {
    name: "an unknown $patch directive",
    patch: { metadata: { labels: { $patch: "frob" } } },
    reason: "BadRequest",
    message: "unknown patch type: frob in map: map[$patch:frob]",
  },
  {
    name: "$retainKeys that is not a list",
    patch: { spec: { volumes: [{ name: "data", $retainKeys: "name" }] } },
    reason: "BadRequest",
    message: "invalid patch format of retainKeys",
  },
  {
    name: "a member that $retainKeys does not list",
    patch: { spec: { volumes: [{ name: "data", $retainKeys: ["name"], secret: {} }] } },
    reason: "BadRequest",
    message: "invalid patch format of retainKeys",
  },
  {
    name: "a patch list in another order than its $setElementOrder",
    patch: {
      spec: {
        "$setElementOrder/containers": [{ name: "app" }, { name: "sidecar" }],
        containers: [
          { name: "sidecar", image: "s" },
          { name: "app", image: "a" },
        ],
      },
    },
    reason: "BadRequest",
    message: "doesn't match $setElementOrder list",
  },
  {
    name: "$deleteFromPrimitiveList without a field",
    patch: { metadata: { $deleteFromPrimitiveList: ["a"] } },
    reason: "BadRequest",
    message: "invalid patch format of primitive list",
  },
  {
    name: "$setElementOrder without a field",
    patch: { spec: { $setElementOrder: [] } },
    reason: "BadRequest",
    message: "invalid patch format of setElementOrder list",
  },
  {
    name: "elements of different kinds in a merged list",
    patch: { metadata: { finalizers: [1] } },
    reason: "BadRequest",
    message: "list element types are not identical: [[a b] [1]]",
  },
  {
    name: "a patch that is not an object",
    patch: [{ op: "add" }],
    reason: "BadRequest",
    message: "json: cannot unmarshal array into Go value of type map[string]interface {}",
  },
];

describe("strategicMergePatch rejects", () => {
  for (const c of errors) {
    test(c.name, () => {
      expectPatchError(
        () => strategicMergePatch(pod(), c.patch, "core/v1.Pod"),
        c.reason,
        c.message,
      );
    });
  }
});

// The merging-list fixture of upstream's strategicpatch tests, as explicit metadata.
const mergeItemMeta: PatchMeta = {
  field(name) {
    switch (name) {
      case "mergingList":
        return { strategies: ["merge"], mergeKey: "name", child: UNKNOWN_PATCH_META };
      case "mergingIntList":
      case "listOfLists":
        return { strategies: ["merge"], child: UNKNOWN_PATCH_META };
      case "nonMergingIntList":
        return { strategies: [], child: UNKNOWN_PATCH_META };
      default:
        return undefined;
    }
  },
};

const n = (name: number, rest: JsonObject = {}): JsonObject => ({ name, ...rest });

const upstreamVectors: {
  name: string;
  current: JsonObject;
  patch: JsonObject;
  want: JsonObject;
}[] = [
  {
    name: "$setElementOrder orders patch items and keeps server-only ones in place",
    current: {
      mergingList: [n(1, { other: "a" }), n(2, { value: 2 }), n(9), n(3, { value: 3 }), n(4)],
    },
    patch: { "$setElementOrder/mergingList": [n(2), n(1), n(4), n(3)] },
    want: {
      mergingList: [n(2, { value: 2 }), n(1, { other: "a" }), n(9), n(4), n(3, { value: 3 })],
    },
  },
  {
    name: "adding an item keeps the order $setElementOrder gives",
    current: { mergingList: [n(1, { other: "a" }), n(2, { value: 2, other: "b" })] },
    patch: {
      "$setElementOrder/mergingList": [n(3), n(1), n(2)],
      mergingList: [n(3, { value: 3 })],
    },
    want: {
      mergingList: [n(3, { value: 3 }), n(1, { other: "a" }), n(2, { value: 2, other: "b" })],
    },
  },
  {
    name: "without $setElementOrder the patch's order wins",
    current: { mergingList: [n(1), n(2, { value: "b" }), n(3)] },
    patch: { mergingList: [n(3, { value: "c" }), n(1, { value: "a" }), n(2, { other: "x" })] },
    want: {
      mergingList: [n(3, { value: "c" }), n(1, { value: "a" }), n(2, { value: "b", other: "x" })],
    },
  },
  {
    name: "$setElementOrder naming an absent scalar is ignored for it",
    current: { mergingIntList: [1, 3] },
    patch: { "$setElementOrder/mergingIntList": [3, 2, 1] },
    want: { mergingIntList: [3, 1] },
  },
  {
    name: "a scalar merge keeps values unique",
    current: { mergingIntList: [1, 2] },
    patch: { mergingIntList: [2, 3] },
    want: { mergingIntList: [1, 2, 3] },
  },
  {
    name: "$patch: delete removes every element with that key",
    current: { mergingList: [n(1), n(1), n(2, { value: "a" }), n(3), n(3)] },
    patch: {
      mergingList: [
        { name: 1, $patch: "delete" },
        { name: 3, $patch: "delete" },
      ],
    },
    want: { mergingList: [n(2, { value: "a" })] },
  },
  {
    name: "$deleteFromPrimitiveList works on a list without merge strategy",
    current: { nonMergingIntList: [1, 2, 3] },
    patch: { "$deleteFromPrimitiveList/nonMergingIntList": [2] },
    want: { nonMergingIntList: [1, 3] },
  },
  {
    name: "$deleteFromPrimitiveList of absent values adds nothing",
    current: { mergingIntList: [1, 2] },
    patch: {
      "$deleteFromPrimitiveList/mergingIntList": [3],
      "$deleteFromPrimitiveList/other": [1],
    },
    want: { mergingIntList: [1, 2] },
  },
];

describe("strategicMergePatch with explicit metadata (upstream's vectors)", () => {
  for (const c of upstreamVectors) {
    test(c.name, () => {
      expect(strategicMergePatch(c.current, c.patch, mergeItemMeta)).toEqual(c.want);
    });
  }

  test("refuses to merge lists of lists with 422", () => {
    const error = expectPatchError(
      () => strategicMergePatch({ listOfLists: [["a"]] }, { listOfLists: [["b"]] }, mergeItemMeta),
      "Invalid",
      "lists of lists are not supported",
    );
    expect(error.code).toBe(422);
  });
});
