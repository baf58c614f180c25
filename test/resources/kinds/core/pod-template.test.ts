import { describe, expect, test } from "bun:test";
import { podTemplateKind } from "../../../../src/resources/kinds/core/pod-template.ts";
import { serviceAccountKind } from "../../../../src/resources/kinds/core/service-account.ts";
import { create, type LooseObject, meta } from "./kind-harness.ts";

function podTemplate(template: Record<string, unknown>): LooseObject {
  return { apiVersion: "v1", kind: "PodTemplate", metadata: meta("tmpl"), template };
}

describe("podTemplateKind", () => {
  test("defaults the template's pod spec", () => {
    const { object, errors } = create(
      podTemplateKind,
      podTemplate({ spec: { containers: [{ name: "app", image: "nginx" }] } }),
    );
    expect(errors).toEqual([]);
    expect(object.template.spec.restartPolicy).toBe("Always");
    expect(object.template.spec.containers[0].imagePullPolicy).toBe("Always");
  });

  test.each<[string, Record<string, unknown>, string[]]>([
    [
      "template labels with a bad value",
      {
        metadata: { labels: { app: "-web" } },
        spec: { containers: [{ name: "app", image: "nginx" }] },
      },
      [
        "template.labels: Invalid value: \"-web\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      ],
    ],
    [
      "ephemeral containers",
      {
        spec: {
          containers: [{ name: "app", image: "nginx" }],
          ephemeralContainers: [{ name: "dbg", image: "busybox" }],
        },
      },
      [
        "template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template",
      ],
    ],
  ])("rejects %s", (_, template, messages) => {
    expect(create(podTemplateKind, podTemplate(template)).messages).toEqual(messages);
  });
});

describe("serviceAccountKind", () => {
  test.each([
    ["builder", []],
    [
      "Builder",
      [
        "metadata.name: Invalid value: \"Builder\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
  ])("judges the name %s", (name, messages) => {
    expect(
      create(serviceAccountKind, { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(name) })
        .messages,
    ).toEqual(messages);
  });
});
