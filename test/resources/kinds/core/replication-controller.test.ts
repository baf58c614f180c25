import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { replicationControllerKind } from "../../../../src/resources/kinds/core/replication-controller.ts";
import { create, type Loose, type LooseObject, meta, update } from "./kind-harness.ts";

type Spec = Loose;

function controller(spec: Spec = {}): LooseObject {
  return {
    apiVersion: "v1",
    kind: "ReplicationController",
    metadata: meta("web"),
    spec: {
      template: {
        metadata: { labels: { app: "web" } },
        spec: { containers: [{ name: "app", image: "nginx:1.27" }] },
      },
      ...spec,
    },
  };
}

describe("replicationControllerKind defaults", () => {
  test("takes replicas 1, the selector and its own labels from the template", () => {
    const { object, errors } = create(replicationControllerKind, controller());
    expect(errors).toEqual([]);
    expect(object.spec.replicas).toBe(1);
    expect(object.spec.selector).toEqual({ app: "web" });
    expect(object.metadata?.labels).toEqual({ app: "web" });
    expect(object.spec.template.spec).toMatchObject({
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
    });
    expect(object.spec.template.spec.containers[0].imagePullPolicy).toBe("IfNotPresent");
  });

  test("keeps an explicit zero replicas and selector", () => {
    const { object } = create(
      replicationControllerKind,
      controller({ replicas: 0, selector: { app: "web" } }),
    );
    expect(object.spec.replicas).toBe(0);
  });

  test("does not give the template pod-only defaults", () => {
    const { object } = create(replicationControllerKind, controller());
    expect(object.spec.template.spec.enableServiceLinks).toBeUndefined();
  });
});

describe("replicationControllerKind validate", () => {
  test.each<[string, KubeObject, string[]]>([
    [
      "a selector that does not match the template",
      controller({ selector: { app: "api" } }),
      [
        'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
      ],
    ],
    [
      "negative replicas",
      controller({ replicas: -1 }),
      ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
    ],
    [
      "pods that do not restart",
      controller({
        template: {
          metadata: { labels: { app: "web" } },
          spec: { restartPolicy: "OnFailure", containers: [{ name: "app", image: "nginx" }] },
        },
      }),
      [
        'spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"',
      ],
    ],
    [
      "a template without containers",
      controller({ template: { metadata: { labels: { app: "web" } }, spec: {} } }),
      ["spec.template.spec.containers: Required value"],
    ],
    [
      "no template",
      controller({ template: undefined, selector: { app: "web" } }),
      ["spec.template: Required value"],
    ],
  ])("rejects %s", (_, input, messages) => {
    expect(create(replicationControllerKind, input).messages).toEqual(messages);
  });
});

describe("replicationControllerKind status", () => {
  test("clears status at create and keeps it at update", () => {
    const input = controller();
    input.status = { replicas: 5 };
    expect(create(replicationControllerKind, input).object.status).toBeUndefined();
    const changed = controller({ replicas: 3 });
    changed.status = { replicas: 9 };
    expect(update(replicationControllerKind, changed, controller()).object.status).toBeUndefined();
  });

  test("exposes status.replicas as a field", () => {
    const stored = create(replicationControllerKind, controller()).object;
    expect(replicationControllerKind.selectableFields?.(stored)).toEqual({
      "status.replicas": "0",
    });
    stored.status = { replicas: 3 };
    expect(replicationControllerKind.selectableFields?.(stored)).toEqual({
      "status.replicas": "3",
    });
  });
});
