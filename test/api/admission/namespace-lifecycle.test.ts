import { describe, expect, test } from "bun:test";
import {
  checkNamespaceDeletion,
  NamespaceLifecycle,
} from "../../../src/api/admission/namespace-lifecycle.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { kinds, pod, rejection, request } from "./support.ts";

function namespace(name: string, phase = "Active"): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name }, status: { phase } };
}

describe("checkNamespaceDeletion", () => {
  test("refuses the system namespaces with upstream's message", () => {
    for (const name of ["default", "kube-system", "kube-public"]) {
      let caught: unknown;
      try {
        checkNamespaceDeletion(name);
      } catch (error) {
        caught = error;
      }
      expect((caught as { status?: unknown }).status).toMatchObject({
        code: 403,
        reason: "Forbidden",
        message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
      });
    }
  });

  test("allows any other namespace", () => {
    expect(() => checkNamespaceDeletion("team-a")).not.toThrow();
  });
});

describe("NamespaceLifecycle", () => {
  test("validate refuses deleting kube-system but not other namespaces or objects", async () => {
    const lifecycle = new NamespaceLifecycle();
    const system = namespace("kube-system");
    const error = await rejection(
      lifecycle.validate(
        request(kinds.namespaces, system, { operation: "DELETE", oldObject: system }),
      ),
    );
    expect(error.code).toBe(403);
    const other = namespace("team-a");
    await lifecycle.validate(request(kinds.namespaces, other, { operation: "DELETE" }));
    const p = pod("default", {}, "default");
    await lifecycle.validate(request(kinds.pods, p, { operation: "DELETE" }));
  });
});
