import { describe, expect, test } from "bun:test";
import {
  childOf,
  FieldPath,
  fieldPath,
  renderPath,
} from "../../../src/resources/validation/field-path.ts";

describe("FieldPath", () => {
  const table: [FieldPath, string][] = [
    [fieldPath("metadata"), "metadata"],
    [fieldPath("metadata", "name"), "metadata.name"],
    [fieldPath("spec").child("containers").index(0).child("name"), "spec.containers[0].name"],
    [fieldPath("metadata").child("labels").key("app"), "metadata.labels[app]"],
    [fieldPath("spec").child("containers").index(0).key("app"), "spec.containers[0][app]"],
    [
      fieldPath("spec").child("template", "spec").child("volumes").index(12),
      "spec.template.spec.volumes[12]",
    ],
    [fieldPath("data").key("a.b/c"), "data[a.b/c]"],
    [fieldPath("spec").child(""), "spec[]"],
  ];
  for (const [path, rendered] of table) {
    test(`renders ${rendered}`, () => {
      expect(path.toString()).toBe(rendered);
      expect(`${path}`).toBe(rendered);
    });
  }

  test("is immutable: children do not change their parent", () => {
    const spec = fieldPath("spec");
    spec.child("a");
    spec.index(1);
    expect(spec.toString()).toBe("spec");
    expect(FieldPath.root("a", "b").toString()).toBe("a.b");
  });

  test("a missing path renders as <nil>, and children of it start a root", () => {
    expect(renderPath(undefined)).toBe("<nil>");
    expect(childOf(undefined, "key").toString()).toBe("key");
    expect(childOf(fieldPath("spec"), "key").toString()).toBe("spec.key");
  });
});
