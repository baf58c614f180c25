import type { KubeObject } from "../../src/resources/kind.ts";

/** A Service in "default" selecting app=web, with a numeric and a named target port. */
export function service(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace: "default",
      uid: `svc-${name}`,
      labels: { app: name },
      creationTimestamp: "2024-01-01T00:00:00Z",
    },
    spec: {
      selector: { app: "web" },
      clusterIP: "10.0.0.10",
      ipFamilies: ["IPv4"],
      ports: [
        { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
        { name: "metrics", port: 9000, protocol: "TCP", targetPort: "metrics" },
      ],
      ...spec,
    },
  };
}

/** A pod of app=web on node-1, Running and Ready unless told otherwise. */
export function pod(
  name: string,
  ip: string | undefined,
  options: { ready?: boolean; phase?: string; deleting?: boolean; labels?: object } = {},
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      resourceVersion: "1",
      labels: { app: "web", ...(options.labels ?? {}) },
      ...(options.deleting ? { deletionTimestamp: "2024-01-01T00:10:00Z" } : {}),
    },
    spec: {
      nodeName: "node-1",
      containers: [{ name: "c", ports: [{ name: "metrics", containerPort: 9100 }] }],
    },
    status: {
      phase: options.phase ?? "Running",
      ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [
        {
          type: "Ready",
          status: options.ready === false ? "False" : "True",
          lastTransitionTime: "2024-01-01T00:05:00Z",
        },
      ],
    },
  };
}
