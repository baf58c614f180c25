import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../../src/resources/kind.ts";
import { podKind } from "../../../../src/resources/kinds/core/pod.ts";
import { create, type Loose, type LooseObject, meta, update } from "./kind-harness.ts";

type Spec = Loose;

function pod(spec: Spec = {}, metadata: Record<string, unknown> = {}): LooseObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: meta("web", metadata),
    spec: { containers: [{ name: "app", image: "nginx:1.27" }], ...spec },
  };
}

const withContainer = (container: Spec, spec: Spec = {}) =>
  pod({ containers: [{ name: "app", image: "nginx:1.27", ...container }], ...spec });

describe("podKind defaults", () => {
  test("fills upstream's defaults into a minimal pod", () => {
    const { object, errors } = create(
      podKind,
      pod({ containers: [{ name: "app", image: "nginx", ports: [{ containerPort: 80 }] }] }),
    );
    expect(errors).toEqual([]);
    expect(object.spec).toEqual({
      containers: [
        {
          name: "app",
          image: "nginx",
          ports: [{ containerPort: 80, protocol: "TCP" }],
          imagePullPolicy: "Always",
          terminationMessagePath: "/dev/termination-log",
          terminationMessagePolicy: "File",
        },
      ],
      restartPolicy: "Always",
      dnsPolicy: "ClusterFirst",
      schedulerName: "default-scheduler",
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
    });
  });

  test.each([
    ["nginx", "Always"],
    ["nginx:latest", "Always"],
    ["registry.local:5000/team/app", "Always"],
    ["nginx:1.27", "IfNotPresent"],
    [
      "nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31",
      "IfNotPresent",
    ],
    ["registry.local:5000/team/app:v2", "IfNotPresent"],
  ])("pulls %s with policy %s", (image, policy) => {
    const { object } = create(podKind, withContainer({ image }));
    expect(object.spec.containers[0].imagePullPolicy).toBe(policy);
  });

  test("keeps an explicit pull policy", () => {
    const { object } = create(podKind, withContainer({ image: "nginx", imagePullPolicy: "Never" }));
    expect(object.spec.containers[0].imagePullPolicy).toBe("Never");
  });

  test("defaults requests to limits and writes quantities canonically", () => {
    const { object } = create(
      podKind,
      withContainer({ resources: { limits: { cpu: 0.5, memory: "1024Mi" } } }),
    );
    expect(object.spec.containers[0].resources).toEqual({
      limits: { cpu: "500m", memory: "1Gi" },
      requests: { cpu: "500m", memory: "1Gi" },
    });
  });

  test("makes every container port a host port on the host network", () => {
    const { object } = create(
      podKind,
      withContainer({ ports: [{ containerPort: 8080 }] }, { hostNetwork: true }),
    );
    expect(object.spec.containers[0].ports).toEqual([
      { containerPort: 8080, hostPort: 8080, protocol: "TCP" },
    ]);
  });

  test("defaults probes and volume modes", () => {
    const { object } = create(
      podKind,
      withContainer(
        {
          livenessProbe: { httpGet: { port: 8080 } },
          volumeMounts: [{ name: "cfg", mountPath: "/etc/app" }],
        },
        { volumes: [{ name: "cfg", configMap: { name: "app" } }, { name: "scratch" }] },
      ),
    );
    expect(object.spec.containers[0].livenessProbe).toEqual({
      httpGet: { port: 8080, path: "/", scheme: "HTTP" },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(object.spec.volumes).toEqual([
      { name: "cfg", configMap: { name: "app", defaultMode: 420 } },
      { name: "scratch", emptyDir: {} },
    ]);
  });
});

describe("podKind prepareForCreate", () => {
  test.each([
    ["no resources", {}, "BestEffort"],
    [
      "limits equal to requests",
      { resources: { limits: { cpu: "1", memory: "1Gi" } } },
      "Guaranteed",
    ],
    ["only a cpu request", { resources: { requests: { cpu: "100m" } } }, "Burstable"],
    [
      "requests below limits",
      {
        resources: {
          requests: { cpu: "100m", memory: "1Gi" },
          limits: { cpu: "1", memory: "1Gi" },
        },
      },
      "Burstable",
    ],
  ])("starts a pod with %s Pending in class %s", (_, container, qosClass) => {
    const input = withContainer(container);
    input.status = { phase: "Running", podIP: "10.0.0.9" };
    expect(create(podKind, input).object.status).toEqual({ phase: "Pending", qosClass });
  });

  test("marks a gated pod as not scheduled", () => {
    const { object } = create(podKind, pod({ schedulingGates: [{ name: "example.com/quota" }] }));
    expect(object.status.conditions).toEqual([
      {
        type: "PodScheduled",
        status: "False",
        reason: "SchedulingGated",
        message: "Scheduling is blocked due to non-empty scheduling gates",
      },
    ]);
  });
});

describe("podKind validate", () => {
  test("accepts a full, valid pod", () => {
    const input = pod({
      initContainers: [{ name: "init", image: "busybox", command: ["true"] }],
      containers: [
        {
          name: "app",
          image: "nginx:1.27",
          ports: [{ name: "http", containerPort: 80 }],
          env: [
            { name: "MODE", value: "prod" },
            { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          ],
          volumeMounts: [{ name: "data", mountPath: "/data" }],
          resources: {
            requests: { cpu: "100m", memory: "64Mi" },
            limits: { cpu: "1", memory: "128Mi" },
          },
          readinessProbe: { tcpSocket: { port: "http" } },
        },
      ],
      volumes: [{ name: "data", emptyDir: { sizeLimit: "1Gi" } }],
      tolerations: [
        {
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
      ],
      nodeSelector: { "kubernetes.io/os": "linux" },
    });
    expect(create(podKind, input).messages).toEqual([]);
  });

  test.each<[string, KubeObject, string[]]>([
    [
      "an invalid name",
      pod({}, { name: "Web_1" }),
      [
        "metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    ["no containers", pod({ containers: [] }), ["spec.containers: Required value"]],
    [
      "duplicate container names",
      pod({
        containers: [
          { name: "app", image: "a" },
          { name: "app", image: "b" },
        ],
      }),
      ['spec.containers[1].name: Duplicate value: "app"'],
    ],
    [
      "an init container named like a container",
      pod({ initContainers: [{ name: "app", image: "busybox" }] }),
      ['spec.initContainers[0].name: Duplicate value: "app"'],
    ],
    [
      "a container name that is not a DNS label",
      pod({ containers: [{ name: "App", image: "a" }] }),
      [
        "spec.containers[0].name: Invalid value: \"App\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    [
      "a missing image",
      pod({ containers: [{ name: "app" }] }),
      ["spec.containers[0].image: Required value"],
    ],
    [
      "an image with padding",
      withContainer({ image: " nginx" }),
      [
        'spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace',
      ],
    ],
    [
      "a port out of range",
      withContainer({ ports: [{ containerPort: 70000 }] }),
      [
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
      ],
    ],
    [
      "a port without a number",
      withContainer({ ports: [{ name: "http" }] }),
      ["spec.containers[0].ports[0].containerPort: Required value"],
    ],
    [
      "an unknown protocol",
      withContainer({ ports: [{ containerPort: 53, protocol: "ICMP" }] }),
      [
        'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      ],
    ],
    [
      "a port name with capitals",
      withContainer({ ports: [{ containerPort: 80, name: "HTTP" }] }),
      [
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.containers[0].ports[0].name: Invalid value: "HTTP": must contain at least one letter (a-z)',
      ],
    ],
    [
      "an unsupported restartPolicy",
      pod({ restartPolicy: "Sometimes" }),
      [
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      ],
    ],
    [
      "a bad quantity",
      withContainer({ resources: { requests: { memory: "lots" } } }),
      [
        "spec.containers[0].resources.requests[memory]: Invalid value: \"lots\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ],
    ],
    [
      "a request above its limit",
      withContainer({ resources: { requests: { cpu: "2" }, limits: { cpu: "1" } } }),
      [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
      ],
    ],
    [
      "a negative quantity",
      withContainer({ resources: { requests: { memory: "-1Gi" } } }),
      [
        'spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
      ],
    ],
    [
      "a resource that is not a container resource",
      withContainer({ resources: { requests: { pods: "1" } } }),
      [
        'spec.containers[0].resources.requests[pods]: Invalid value: "pods": must be a standard resource for containers',
      ],
    ],
    [
      "an env var name with '='",
      withContainer({ env: [{ name: "A=B", value: "x" }] }),
      [
        "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
      ],
    ],
    [
      "an env var with two sources",
      withContainer({
        env: [{ name: "A", value: "x", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
      }),
      [
        'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
      ],
    ],
    [
      "a mount of a missing volume",
      withContainer({ volumeMounts: [{ name: "data", mountPath: "/data" }] }),
      ['spec.containers[0].volumeMounts[0].name: Not found: "data"'],
    ],
    [
      "two volumes with one name",
      pod({
        volumes: [
          { name: "data", emptyDir: {} },
          { name: "data", emptyDir: {} },
        ],
      }),
      ['spec.volumes[1].name: Duplicate value: "data"'],
    ],
    [
      "a volume with two sources",
      pod({ volumes: [{ name: "data", emptyDir: {}, hostPath: { path: "/srv" } }] }),
      ["spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type"],
    ],
    [
      "a toleration with seconds but no NoExecute",
      pod({
        tolerations: [{ key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 5 }],
      }),
      [
        "spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
      ],
    ],
    [
      "ephemeral containers on create",
      pod({ ephemeralContainers: [{ name: "debug", image: "busybox" }] }),
      ["spec.ephemeralContainers: Forbidden: cannot be set on create"],
    ],
    [
      "a liveness probe with successThreshold 2",
      withContainer({ livenessProbe: { exec: { command: ["true"] }, successThreshold: 2 } }),
      ["spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1"],
    ],
    [
      "host network with a different host port",
      withContainer({ ports: [{ containerPort: 80, hostPort: 8080 }] }, { hostNetwork: true }),
      [
        "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true",
      ],
    ],
    [
      "a projected token without a service account",
      pod({
        volumes: [
          { name: "token", projected: { sources: [{ serviceAccountToken: { path: "token" } }] } },
        ],
      }),
      [
        "spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: must not be specified when serviceAccountName is not set",
      ],
    ],
    [
      "a config map key that cannot be a file name",
      withContainer({
        env: [{ name: "A", valueFrom: { configMapKeyRef: { name: "cfg", key: "a/b" } } }],
      }),
      [
        "spec.containers[0].env[0].valueFrom.configMapKeyRef.key: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
    [
      "a downward API field containers cannot read",
      withContainer({
        env: [{ name: "A", valueFrom: { fieldRef: { fieldPath: "spec.schedulerName" } } }],
      }),
      [
        'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "spec.schedulerName": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"',
      ],
    ],
  ])("rejects %s", (_, input, messages) => {
    expect(create(podKind, input).messages).toEqual(messages);
  });

  test("leaves create-only checks out of updates", () => {
    const stored = create(podKind, pod()).object;
    stored.metadata = { ...stored.metadata, resourceVersion: "7" };
    stored.spec.ephemeralContainers = [
      {
        name: "debug",
        image: "busybox",
        imagePullPolicy: "Always",
        terminationMessagePolicy: "File",
      },
    ];
    expect(
      podKind.validate?.(stored, { user: "u", groups: [], namespace: "default", dryRun: false }),
    ).toEqual([]);
  });
});

describe("podKind update", () => {
  const old = pod({ tolerations: [{ key: "a", operator: "Exists" }] });
  const forbiddenPrefix =
    "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n";

  test.each<[string, Spec]>([
    ["a new image", { containers: [{ name: "app", image: "nginx:1.28" }] }],
    [
      "an added toleration",
      {
        tolerations: [
          { key: "a", operator: "Exists" },
          { key: "b", operator: "Exists" },
        ],
      },
    ],
    ["an active deadline", { activeDeadlineSeconds: 600 }],
  ])("allows %s", (_, change) => {
    expect(update(podKind, pod({ ...old.spec, ...change }), old).messages).toEqual([]);
  });

  test("rejects a changed port with upstream's message and the changed path", () => {
    const changed = pod({
      ...old.spec,
      containers: [{ name: "app", image: "nginx:1.27", ports: [{ containerPort: 81 }] }],
    });
    const { messages } = update(podKind, changed, old);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.startsWith(forbiddenPrefix)).toBe(true);
    expect(messages[0]).toContain("spec.containers[0].ports");
  });

  test("rejects a changed restartPolicy", () => {
    const { messages } = update(podKind, pod({ ...old.spec, restartPolicy: "Never" }), old);
    expect(messages[0]?.startsWith(forbiddenPrefix)).toBe(true);
    expect(messages[0]).toContain('- spec.restartPolicy: "Always"\n+ spec.restartPolicy: "Never"');
  });

  test.each<[string, Spec, string]>([
    [
      "a removed container",
      { containers: [] },
      "spec.containers: Forbidden: pod updates may not add or remove containers",
    ],
    [
      "a removed toleration",
      { tolerations: [] },
      "spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds",
    ],
  ])("rejects %s", (_, change, message) => {
    expect(update(podKind, pod({ ...old.spec, ...change }), old).messages).toContain(message);
  });

  test("rejects a longer active deadline", () => {
    const withDeadline = pod({ activeDeadlineSeconds: 60 });
    expect(update(podKind, pod({ activeDeadlineSeconds: 120 }), withDeadline).messages).toEqual([
      "spec.activeDeadlineSeconds: Invalid value: 120: must be less than or equal to previous value",
    ]);
  });

  test("keeps the stored status", () => {
    const changed = pod({ ...old.spec });
    changed.status = { phase: "Succeeded" };
    expect(update(podKind, changed, old).object.status).toEqual({
      phase: "Pending",
      qosClass: "BestEffort",
    });
  });
});

describe("podKind selectableFields", () => {
  test("exposes upstream's pod fields", () => {
    const input = pod({ nodeName: "n1", serviceAccountName: "default", hostNetwork: true });
    input.status = {
      phase: "Running",
      podIPs: [{ ip: "10.42.0.7" }],
      podIP: "10.42.0.7",
      nominatedNodeName: "n2",
    };
    const { object } = create(podKind, input);
    object.status = input.status;
    expect(podKind.selectableFields?.(object)).toEqual({
      "spec.nodeName": "n1",
      "spec.restartPolicy": "Always",
      "spec.schedulerName": "default-scheduler",
      "spec.serviceAccountName": "default",
      "spec.hostNetwork": "true",
      "status.phase": "Running",
      "status.podIP": "10.42.0.7",
      "status.nominatedNodeName": "n2",
    });
  });

  test("reports empty values for an unscheduled pod", () => {
    const fields = podKind.selectableFields?.({ metadata: meta("p"), spec: {} });
    expect(fields?.["spec.nodeName"]).toBe("");
    expect(fields?.["spec.hostNetwork"]).toBe("false");
    expect(fields?.["status.podIP"]).toBe("");
  });
});
