import { describe, expect, test } from "bun:test";
import { builtinRef } from "../../../src/api/protobuf/builtin-ref.ts";
import {
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
} from "../../../src/api/protobuf/kubernetes-protobuf.ts";
import { ProtobufDecodeError } from "../../../src/api/protobuf/protobuf-decode-error.ts";
import { WireType } from "../../../src/api/protobuf/wire-reader.ts";
import { WireWriter } from "../../../src/api/protobuf/wire-writer.ts";
import { kubectlBodies } from "./kubectl-bodies.ts";

/**
 * kubectl 1.33 links apimachinery without `omitzero` on creationTimestamp,
 * so its JSON shows `creationTimestamp: null`; the schema (v0.36) leaves a
 * zero creationTimestamp out, as current Go code does.
 */
function withoutNullCreationTimestamp(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullCreationTimestamp);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "creationTimestamp" && v === null) continue;
    out[key] = withoutNullCreationTimestamp(v);
  }
  return out;
}

function roundTrip(object: Record<string, unknown>): Record<string, unknown> {
  const ref = builtinRef(object.apiVersion as string, object.kind as string);
  if (!ref) throw new Error(`no ref for ${object.apiVersion} ${object.kind}`);
  return decodeKubernetesProtobuf(encodeKubernetesProtobuf(object, ref), builtinRef).object;
}

describe("decodeKubernetesProtobuf on bodies kubectl 1.33 sent", () => {
  for (const fixture of kubectlBodies) {
    test(`decodes "kubectl ${fixture.command}" to its JSON`, () => {
      const decoded = decodeKubernetesProtobuf(Uint8Array.fromBase64(fixture.body), builtinRef);
      const expected = withoutNullCreationTimestamp(fixture.expected);
      expect(decoded.object).toEqual(expected as Record<string, unknown>);
      // Key order too: Go prints fields in struct order and so do we.
      expect(JSON.stringify(decoded.object)).toBe(JSON.stringify(expected));
      expect(decoded.apiVersion).toBe(fixture.expected.apiVersion as string);
      expect(decoded.kind).toBe(fixture.expected.kind as string);
    });

    test(`re-encodes "kubectl ${fixture.command}" to the same bytes`, () => {
      const body = Uint8Array.fromBase64(fixture.body);
      const decoded = decodeKubernetesProtobuf(body, builtinRef);
      const ref = builtinRef(decoded.apiVersion, decoded.kind) as string;
      expect(encodeKubernetesProtobuf(decoded.object, ref).toBase64()).toBe(fixture.body);
    });
  }

  test("keeps Secret data binary-exact as base64", () => {
    const secret = kubectlBodies.find((f) => f.command.startsWith("create secret generic"));
    const decoded = decodeKubernetesProtobuf(Uint8Array.fromBase64(secret?.body ?? ""), builtinRef);
    const data = decoded.object.data as Record<string, string>;
    expect([...Uint8Array.fromBase64(data.blob as string)]).toEqual([
      0x62, 0x69, 0x6e, 0x00, 0xff, 0xfe, 0x01,
    ]);
    expect(data.k).toBe(btoa("v"));
  });
});

describe("encodeKubernetesProtobuf then decodeKubernetesProtobuf", () => {
  test("round-trips a Pod with containers, env, ports, quantities and volumes", () => {
    const pod = {
      kind: "Pod",
      apiVersion: "v1",
      metadata: {
        name: "web",
        namespace: "default",
        uid: "0b6c2a3e-0000-4000-8000-000000000001",
        resourceVersion: "42",
        generation: 3,
        creationTimestamp: "2024-01-02T03:04:05Z",
        labels: { app: "web", tier: "frontend" },
        annotations: { "example.com/note": "ünïcode ✓" },
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-1", uid: "u1", controller: true },
        ],
        finalizers: ["example.com/keep"],
      },
      spec: {
        volumes: [
          { name: "config", configMap: { name: "web-config", defaultMode: 420 } },
          { name: "scratch", emptyDir: { sizeLimit: "1Gi" } },
        ],
        containers: [
          {
            name: "app",
            image: "nginx:1.27",
            command: ["nginx"],
            args: ["-g", "daemon off;"],
            ports: [
              { name: "http", containerPort: 80, protocol: "TCP" },
              { containerPort: 9090, hostPort: 19090, protocol: "UDP" },
            ],
            env: [
              { name: "MODE", value: "production" },
              { name: "EMPTY" },
              {
                name: "NODE",
                valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "spec.nodeName" } },
              },
            ],
            resources: {
              limits: { cpu: "500m", memory: "128Mi" },
              requests: { cpu: "250m", memory: "64Mi" },
            },
            volumeMounts: [{ name: "config", readOnly: true, mountPath: "/etc/nginx/conf.d" }],
            readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 5 },
            imagePullPolicy: "IfNotPresent",
          },
        ],
        restartPolicy: "Always",
        terminationGracePeriodSeconds: 0,
        nodeSelector: { "kubernetes.io/os": "linux" },
        automountServiceAccountToken: false,
        tolerations: [
          { key: "k", operator: "Exists", effect: "NoSchedule", tolerationSeconds: -1 },
        ],
        priority: -5,
      },
      status: { phase: "Running", podIP: "10.0.0.7", startTime: "2024-01-02T03:04:06Z" },
    };
    expect(roundTrip(pod)).toEqual(pod);
  });

  test("round-trips a Deployment with maxSurge as a percentage and maxUnavailable as a number", () => {
    const deployment = {
      kind: "Deployment",
      apiVersion: "apps/v1",
      metadata: { name: "d", labels: { app: "d" } },
      spec: {
        replicas: 0,
        selector: {
          matchLabels: { app: "d" },
          matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }],
        },
        template: {
          metadata: { labels: { app: "d" } },
          spec: { containers: [{ name: "c", image: "busybox", resources: {} }] },
        },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: "25%" } },
        revisionHistoryLimit: 10,
      },
      status: {},
    };
    const decoded = roundTrip(deployment);
    expect(decoded).toEqual(deployment);
    // A pointer keeps an explicit zero: replicas 0 is not "unset".
    expect((decoded.spec as Record<string, unknown>).replicas).toBe(0);
  });

  test("round-trips a Secret with binary data", () => {
    const bytes = new Uint8Array(256).map((_, i) => i);
    const secret = {
      kind: "Secret",
      apiVersion: "v1",
      metadata: { name: "s" },
      immutable: true,
      data: { "all-bytes": bytes.toBase64(), empty: "" },
      type: "Opaque",
    };
    const decoded = roundTrip(secret);
    expect(decoded).toEqual(secret);
    expect(
      Uint8Array.fromBase64((decoded.data as Record<string, string>)["all-bytes"] as string),
    ).toEqual(bytes);
  });

  test("round-trips a ConfigMap with data and binaryData", () => {
    const configMap = {
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: "cm", namespace: "ns" },
      data: { "a.txt": "line 1\nline 2\n", b: "" },
      binaryData: { c: btoa("\u0000\u00ff") },
    };
    expect(roundTrip(configMap)).toEqual(configMap);
  });

  test("round-trips a Service with a named and a numbered targetPort", () => {
    const service = {
      kind: "Service",
      apiVersion: "v1",
      metadata: { name: "svc" },
      spec: {
        ports: [
          { name: "http", protocol: "TCP", port: 80, targetPort: "http", nodePort: 30080 },
          { name: "metrics", protocol: "TCP", port: 9090, targetPort: 9091 },
        ],
        selector: { app: "web" },
        clusterIP: "10.96.0.10",
        clusterIPs: ["10.96.0.10"],
        type: "NodePort",
        sessionAffinity: "None",
        ipFamilies: ["IPv4"],
        ipFamilyPolicy: "SingleStack",
        externalTrafficPolicy: "Cluster",
      },
      status: { loadBalancer: {} },
    };
    expect(roundTrip(service)).toEqual(service);
  });

  test("round-trips a SelfSubjectAccessReview", () => {
    const review = {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: {},
      spec: {
        resourceAttributes: {
          namespace: "kube-system",
          verb: "list",
          group: "apps",
          resource: "deployments",
        },
      },
      status: { allowed: true, reason: "RBAC: allowed by ClusterRoleBinding" },
    };
    expect(roundTrip(review)).toEqual(review);
  });

  test("round-trips a SubjectAccessReview with extra (a map of wrapper lists)", () => {
    const review = {
      kind: "SubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: {},
      spec: {
        nonResourceAttributes: { path: "/healthz", verb: "get" },
        user: "alice",
        groups: ["dev"],
        extra: { scopes: ["a", "b"], none: [] },
        uid: "1",
      },
      status: { allowed: false },
    };
    expect(roundTrip(review)).toEqual(review);
  });

  test("round-trips a TokenRequest with a bound object and expiry", () => {
    const request = {
      kind: "TokenRequest",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { name: "builder", namespace: "default" },
      spec: {
        audiences: ["https://kubernetes.default.svc"],
        expirationSeconds: 3600,
        boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "p", uid: "u" },
      },
      status: { token: "eyJhbGciOi", expirationTimestamp: "2030-06-01T12:00:00Z" },
    };
    expect(roundTrip(request)).toEqual(request);
  });

  test("round-trips MicroTime, RawExtension and FieldsV1", () => {
    const lease = {
      kind: "Lease",
      apiVersion: "coordination.k8s.io/v1",
      metadata: {
        name: "node-1",
        managedFields: [
          {
            manager: "kubelet",
            operation: "Update",
            apiVersion: "coordination.k8s.io/v1",
            time: "2024-01-02T03:04:05Z",
            fieldsType: "FieldsV1",
            fieldsV1: { "f:spec": { "f:renewTime": {} } },
          },
        ],
      },
      spec: {
        holderIdentity: "node-1",
        leaseDurationSeconds: 40,
        renewTime: "2024-01-02T03:04:05.123456Z",
      },
    };
    expect(roundTrip(lease)).toEqual(lease);
    const revision = {
      kind: "ControllerRevision",
      apiVersion: "apps/v1",
      metadata: { name: "r" },
      data: { spec: { template: { metadata: { labels: { a: "b" } } } }, list: [1, "x", null] },
      revision: 2,
    };
    expect(roundTrip(revision)).toEqual(revision);
  });
});

/** A ControllerRevision envelope whose data (a RawExtension) holds `inner` as raw bytes. */
function revisionHolding(inner: Uint8Array): Uint8Array {
  const revision = new WireWriter().message(2, (data) =>
    data.tag(1, WireType.LengthDelimited).bytes(inner),
  );
  const envelope = new WireWriter()
    .message(1, (tm) =>
      tm
        .tag(1, WireType.LengthDelimited)
        .string("apps/v1")
        .tag(2, WireType.LengthDelimited)
        .string("ControllerRevision"),
    )
    .tag(2, WireType.LengthDelimited)
    .bytes(revision.finish())
    .finish();
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...envelope]);
}

describe("decodeKubernetesProtobuf with objects inside RawExtensions", () => {
  test("decodes a protobuf object nested in a RawExtension", () => {
    const configMap = {
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: "inner" },
      data: { a: "b" },
    };
    const body = revisionHolding(encodeKubernetesProtobuf(configMap, "core/v1.ConfigMap"));
    const decoded = decodeKubernetesProtobuf(body, builtinRef).object;
    expect(decoded.data).toEqual(configMap);
    expect(decoded.revision).toBe(0);
  });

  test("refuses objects nested without end", () => {
    let body = encodeKubernetesProtobuf(
      { kind: "ConfigMap", apiVersion: "v1" },
      "core/v1.ConfigMap",
    );
    for (let i = 0; i < 20; i++) body = revisionHolding(body);
    expect(() => decodeKubernetesProtobuf(body, builtinRef)).toThrow(/nested deeper than 16/);
  });
});

describe("decodeKubernetesProtobuf rejects bad bodies", () => {
  const configMap = Uint8Array.fromBase64(kubectlBodies[0]?.body ?? "");

  test("without the magic", () => {
    expect(() =>
      decodeKubernetesProtobuf(new TextEncoder().encode('{"kind":"Pod"}'), builtinRef),
    ).toThrow(/magic/);
    expect(() => decodeKubernetesProtobuf(new Uint8Array([0x6b, 0x38]), builtinRef)).toThrow(
      ProtobufDecodeError,
    );
  });

  test("truncated anywhere before the end of the object", () => {
    // The last four bytes are the empty, optional contentEncoding and contentType.
    for (let end = 4; end < configMap.length - 4; end++) {
      expect(() => decodeKubernetesProtobuf(configMap.subarray(0, end), builtinRef)).toThrow(
        ProtobufDecodeError,
      );
    }
  });

  test("of garbage after the magic", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed & 0xff;
    };
    let rejected = 0;
    for (let i = 0; i < 200; i++) {
      const body = new Uint8Array(40).map(random);
      body.set([0x6b, 0x38, 0x73, 0x00]);
      try {
        decodeKubernetesProtobuf(body, builtinRef);
      } catch (error) {
        expect(error).toBeInstanceOf(ProtobufDecodeError);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(150);
  });

  test("of an unknown kind", () => {
    const body = encodeKubernetesProtobuf(
      { apiVersion: "v1", kind: "Pod", metadata: { name: "p" } },
      "core/v1.Pod",
    );
    expect(() => decodeKubernetesProtobuf(body, () => undefined)).toThrow(/unknown kind Pod in v1/);
    expect(() => decodeKubernetesProtobuf(body, () => "core/v1.NoSuchType")).toThrow(
      ProtobufDecodeError,
    );
  });

  test("whose field has the wrong wire type", () => {
    // ConfigMap field 1 (metadata) as a varint instead of a message.
    const body = encodeKubernetesProtobuf(
      { apiVersion: "v1", kind: "ConfigMap" },
      "core/v1.ConfigMap",
    );
    const tampered = new Uint8Array(body);
    const rawStart = tampered.indexOf(0x12, 4 + 2 + tampered[5]!) + 2;
    expect(tampered[rawStart]).toBe(0x0a);
    tampered[rawStart] = 0x08;
    expect(() => decodeKubernetesProtobuf(tampered, builtinRef)).toThrow(/wire type 0, expected 2/);
  });

  test("with a content encoding it does not support", () => {
    const body = encodeKubernetesProtobuf(
      { apiVersion: "v1", kind: "ConfigMap" },
      "core/v1.ConfigMap",
    );
    // The envelope ends with contentEncoding "" and contentType "": 1a 00 22 00.
    const tampered = new Uint8Array([
      ...body.subarray(0, body.length - 4),
      0x1a,
      0x04,
      ...new TextEncoder().encode("gzip"),
      0x22,
      0x00,
    ]);
    expect(() => decodeKubernetesProtobuf(tampered, builtinRef)).toThrow(/content encoding gzip/);
  });
});
