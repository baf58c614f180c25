import { describe, expect, test } from "bun:test";
import { NodeLease, renewedLease } from "../../../src/node-agent/node/lease.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { apiError, type Call, eventually, FakeNodeClient } from "./fake-node-client.ts";

const LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";
const now = new Date("2025-01-01T00:00:00.123Z");

describe("renewedLease", () => {
  test("a new lease: held by the node, 40 s, renewed now, owned by the Node", () => {
    expect(renewedLease(undefined, "n1", "uid-1", now)).toEqual({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: "n1",
        namespace: "kube-node-lease",
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "n1", uid: "uid-1" }],
      },
      spec: {
        holderIdentity: "n1",
        leaseDurationSeconds: 40,
        renewTime: "2025-01-01T00:00:00.123000Z",
      },
    });
  });

  test("without the Node's UID there is no owner yet", () => {
    expect(renewedLease(undefined, "n1", undefined, now).metadata?.ownerReferences).toBeUndefined();
  });

  test("renewing keeps the resourceVersion (optimistic concurrency) and other fields", () => {
    const base: KubeObject = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: {
        name: "n1",
        namespace: "kube-node-lease",
        resourceVersion: "42",
        ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "n1", uid: "uid-1" }],
      },
      spec: { holderIdentity: "n1", leaseDurationSeconds: 40, renewTime: "x", leaseTransitions: 2 },
    };
    const renewed = renewedLease(base, "n1", "uid-1", now);
    expect(renewed.metadata?.resourceVersion).toBe("42");
    expect(renewed.metadata?.ownerReferences).toHaveLength(1);
    expect(renewed.spec).toEqual({
      holderIdentity: "n1",
      leaseDurationSeconds: 40,
      renewTime: "2025-01-01T00:00:00.123000Z",
      leaseTransitions: 2,
    });
    // The lease read is not changed in place.
    expect((base.spec as { renewTime: string }).renewTime).toBe("x");
    // A Node re-created with a new UID takes over ownership.
    expect(renewedLease(base, "n1", "uid-2", now).metadata?.ownerReferences).toEqual([
      { apiVersion: "v1", kind: "Node", name: "n1", uid: "uid-2" },
    ]);
  });
});

/** A lease store with resourceVersions and 409 on stale updates. */
function leaseServer(client: FakeNodeClient) {
  let stored: KubeObject | undefined;
  let version = 0;
  const save = (lease: KubeObject) => {
    stored = structuredClone(lease);
    stored.metadata = { ...stored.metadata, resourceVersion: String(++version) };
    return stored;
  };
  client.respond = (call: Call) => {
    const body = call.body as KubeObject;
    if (call.verb === "get") {
      if (!stored) throw apiError(404, "NotFound");
      return stored;
    }
    if (call.verb === "create") {
      if (stored) throw apiError(409, "AlreadyExists");
      return save(body);
    }
    if (call.verb === "update") {
      if (!stored) throw apiError(404, "NotFound");
      if (body.metadata?.resourceVersion !== stored.metadata?.resourceVersion) {
        throw apiError(409, "Conflict");
      }
      return save(body);
    }
    throw new Error(`unexpected ${call.verb}`);
  };
  return {
    current: () => stored,
    /** Someone else writes the lease. */
    bump: () => stored && save(stored),
  };
}

describe("NodeLease", () => {
  let clock = now.getTime();
  const options = (client: FakeNodeClient) => ({
    client,
    nodeName: "n1",
    nodeUid: () => "uid-1",
    now: () => new Date(clock),
  });

  test("creates the lease when there is none, then updates it from the last one", async () => {
    const client = new FakeNodeClient();
    const server = leaseServer(client);
    const lease = new NodeLease(options(client));
    await lease.renew();
    expect(client.writes()).toEqual([`create ${LEASES}`]);
    clock += 10_000;
    await lease.renew();
    expect(client.writes()).toEqual([`create ${LEASES}`, `update ${LEASES}/n1`]);
    // No read between renewals: the update starts from the lease last written.
    expect(client.calls.filter((c) => c.verb === "get")).toHaveLength(1);
    const spec = server.current()?.spec as { renewTime: string; holderIdentity: string };
    expect(spec.renewTime).toBe(new Date(clock).toISOString().replace("Z", "000Z"));
    expect(spec.holderIdentity).toBe("n1");
  });

  test("on Conflict it reads the lease again and retries", async () => {
    const client = new FakeNodeClient();
    const server = leaseServer(client);
    const lease = new NodeLease(options(client));
    await lease.renew();
    server.bump();
    clock += 10_000;
    const renewed = await lease.renew();
    expect(client.writes()).toEqual([
      `create ${LEASES}`,
      `update ${LEASES}/n1`,
      `update ${LEASES}/n1`,
    ]);
    expect(renewed.metadata?.resourceVersion).toBe(server.current()?.metadata?.resourceVersion);
  });

  test("a lease deleted meanwhile is created again", async () => {
    const client = new FakeNodeClient();
    leaseServer(client);
    const lease = new NodeLease(options(client));
    await lease.renew();
    const other = new FakeNodeClient();
    leaseServer(other);
    // Same lease object, now against a store where it does not exist.
    client.respond = other.respond;
    await lease.renew();
    expect(client.writes()).toEqual([
      `create ${LEASES}`,
      `update ${LEASES}/n1`,
      `create ${LEASES}`,
    ]);
  });

  test("other errors reach the caller", async () => {
    const client = new FakeNodeClient();
    client.respond = () => {
      throw apiError(403, "Forbidden");
    };
    await expect(new NodeLease(options(client)).renew()).rejects.toThrow("Forbidden");
  });

  test("started, it renews on its interval", async () => {
    const client = new FakeNodeClient();
    leaseServer(client);
    const lease = new NodeLease({ ...options(client), renewIntervalMs: 20, firstDelayMs: 0 });
    lease.start();
    try {
      await eventually(() => client.writes().length >= 3);
    } finally {
      await lease.stop();
    }
    expect(client.writes().slice(0, 3)).toEqual([
      `create ${LEASES}`,
      `update ${LEASES}/n1`,
      `update ${LEASES}/n1`,
    ]);
  });
});
