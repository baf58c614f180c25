import { describe, expect, test } from "bun:test";
import type { PatchMeta } from "../../../src/api/patch/patch-meta.ts";
import { patchMetaForType } from "../../../src/api/patch/schema-patch-meta.ts";

/** Follows field names from a type; each step looks into the previous field's value. */
function fieldAt(ref: string, ...path: string[]) {
  let meta: PatchMeta = patchMetaForType(ref);
  let field = meta.field(path[0] as string);
  for (const name of path.slice(1)) {
    meta = field?.child ?? meta;
    field = field ? meta.field(name) : undefined;
  }
  return field;
}

describe("patchMetaForType", () => {
  const tagged: [string, string[], string[], string | undefined][] = [
    ["core/v1.Pod", ["spec", "containers"], ["merge"], "name"],
    ["core/v1.Pod", ["spec", "containers", "env"], ["merge"], "name"],
    ["core/v1.Pod", ["spec", "containers", "ports"], ["merge"], "containerPort"],
    ["core/v1.Pod", ["spec", "containers", "volumeMounts"], ["merge"], "mountPath"],
    ["core/v1.Pod", ["spec", "volumes"], ["merge", "retainKeys"], "name"],
    ["core/v1.Pod", ["spec", "tolerations"], [], undefined],
    ["core/v1.Pod", ["metadata", "finalizers"], ["merge"], undefined],
    ["core/v1.Pod", ["metadata", "ownerReferences"], ["merge"], "uid"],
    // listType=atomic, yet the struct tag says merge by ip: the tag is what SMP reads.
    ["core/v1.Pod", ["status", "hostIPs"], ["merge"], "ip"],
    ["apps/v1.Deployment", ["spec", "strategy"], ["retainKeys"], undefined],
    ["apps/v1.Deployment", ["spec", "template", "spec", "initContainers"], ["merge"], "name"],
    ["core/v1.Service", ["spec", "ports"], ["merge"], "port"],
    ["core/v1.Node", ["status", "conditions"], ["merge"], "type"],
  ];

  for (const [ref, path, strategies, mergeKey] of tagged) {
    test(`${ref} ${path.join(".")} has strategies [${strategies}] and merge key ${mergeKey}`, () => {
      const field = fieldAt(ref, ...path);
      expect(field?.strategies).toEqual(strategies);
      expect(field?.mergeKey).toBe(mergeKey);
    });
  }

  test("a map's values are fields of any key", () => {
    const value = fieldAt("core/v1.Pod", "metadata", "labels", "anything");
    expect(value?.strategies).toEqual([]);
    expect(value?.child.field("x")).toBeUndefined();
  });

  test("custom-serialised types are opaque", () => {
    expect(
      fieldAt("core/v1.Pod", "metadata", "creationTimestamp")?.child.field("seconds"),
    ).toBeUndefined();
    expect(
      fieldAt("core/v1.Pod", "spec", "containers", "resources", "limits", "cpu")?.child.field(
        "string",
      ),
    ).toBeUndefined();
  });

  test("unknown types and fields have no metadata", () => {
    expect(patchMetaForType("example.com/v1.Widget").field("spec")).toBeUndefined();
    expect(fieldAt("core/v1.Pod", "spec", "noSuchField")).toBeUndefined();
  });

  test("is cached per type", () => {
    expect(patchMetaForType("core/v1.Pod")).toBe(patchMetaForType("core/v1.Pod"));
  });
});
