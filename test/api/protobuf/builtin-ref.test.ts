import { describe, expect, test } from "bun:test";
import { builtinRef } from "../../../src/api/protobuf/builtin-ref.ts";

describe("builtinRef", () => {
  test("maps core, named and *.k8s.io groups to schema refs", () => {
    expect(builtinRef("v1", "Pod")).toBe("core/v1.Pod");
    expect(builtinRef("apps/v1", "Deployment")).toBe("apps/v1.Deployment");
    expect(builtinRef("authorization.k8s.io/v1", "SelfSubjectAccessReview")).toBe(
      "authorization/v1.SelfSubjectAccessReview",
    );
    expect(builtinRef("rbac.authorization.k8s.io/v1", "ClusterRole")).toBe("rbac/v1.ClusterRole");
    expect(builtinRef("autoscaling/v2", "HorizontalPodAutoscaler")).toBe(
      "autoscaling/v2.HorizontalPodAutoscaler",
    );
  });

  test("knows nothing of custom resources, unknown kinds or versions", () => {
    expect(builtinRef("example.com/v1", "Widget")).toBeUndefined();
    expect(builtinRef("v1", "Widget")).toBeUndefined();
    expect(builtinRef("apps/v1beta1", "Deployment")).toBeUndefined();
    expect(builtinRef("", "Pod")).toBeUndefined();
    expect(builtinRef("v1", "")).toBeUndefined();
  });
});
