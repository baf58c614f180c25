import { describe, expect, test } from "bun:test";
import {
  type QuotaAccess,
  quotaUsage,
  ResourceQuotaAdmission,
} from "../../../src/api/admission/resource-quota.ts";
import {
  conflict,
  modifiedConflictReason,
  notFound,
  type StatusError,
} from "../../../src/api/errors/status-error.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { kinds, MemoryReader, pod, rejection, request } from "./support.ts";

const QUOTAS = { group: "", resource: "resourcequotas" };
const PODS = { group: "", resource: "pods" };

function quota(
  name: string,
  hard: Record<string, string>,
  extra: { used?: Record<string, string>; spec?: Record<string, unknown> } = {},
): KubeObject {
  const object: KubeObject = {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: { name, namespace: "ns", resourceVersion: "1" },
    spec: { hard, ...extra.spec },
  };
  if (extra.used) object.status = { hard, used: extra.used };
  return object;
}

/** A quota store with real compare-and-swap on resourceVersion, and random delays. */
class MemoryQuotaAccess implements QuotaAccess {
  private readonly stored = new Map<string, KubeObject>();
  private revision = 1;
  writes = 0;
  conflicts = 0;

  constructor(...quotas: KubeObject[]) {
    for (const q of quotas) this.stored.set(q.metadata?.name ?? "", structuredClone(q));
  }

  async get(namespace: string, name: string): Promise<KubeObject> {
    await Bun.sleep(Math.random() * 2);
    const found = this.stored.get(name);
    if (!found || found.metadata?.namespace !== namespace) {
      throw notFound({ group: "", resource: "resourcequotas", name });
    }
    return structuredClone(found);
  }

  async updateStatus(quota: KubeObject): Promise<KubeObject> {
    await Bun.sleep(Math.random() * 2);
    const name = quota.metadata?.name ?? "";
    const current = this.stored.get(name);
    if (!current) throw notFound({ group: "", resource: "resourcequotas", name });
    if (current.metadata?.resourceVersion !== quota.metadata?.resourceVersion) {
      this.conflicts++;
      throw conflict({ group: "", resource: "resourcequotas", name }, modifiedConflictReason);
    }
    const next = structuredClone(current);
    next.status = structuredClone(quota.status);
    next.metadata = { ...next.metadata, resourceVersion: String(++this.revision) };
    this.stored.set(name, next);
    this.writes++;
    return structuredClone(next);
  }

  used(name: string): unknown {
    return (this.stored.get(name)?.status as { used?: unknown } | undefined)?.used;
  }

  status(name: string): unknown {
    return this.stored.get(name)?.status;
  }
}

function setup(quotas: KubeObject[], ...pods: KubeObject[]) {
  const reader = new MemoryReader().add(QUOTAS, ...quotas).add(PODS, ...pods);
  const access = new MemoryQuotaAccess(...quotas);
  return { reader, access, plugin: new ResourceQuotaAdmission(reader, access) };
}

function container(
  name: string,
  requests?: Record<string, string>,
  limits?: Record<string, string>,
) {
  const resources: Record<string, unknown> = {};
  if (requests) resources.requests = requests;
  if (limits) resources.limits = limits;
  return { name, resources };
}

const busyPod = (name: string) =>
  pod(name, { containers: [container("c", { cpu: "500m", memory: "1Gi" }, { cpu: "1" })] });

describe("quotaUsage", () => {
  test("counts the namespace's live objects for each resource in spec.hard", () => {
    const reader = new MemoryReader()
      .add(
        PODS,
        busyPod("a"),
        busyPod("b"),
        { ...busyPod("done"), status: { phase: "Succeeded" } },
        {
          ...busyPod("going"),
          metadata: { name: "going", namespace: "ns", deletionTimestamp: "x" },
        },
        pod("elsewhere", { containers: [] }, "other"),
      )
      .add(
        { group: "", resource: "services" },
        {
          metadata: { name: "s", namespace: "ns" },
          spec: { type: "NodePort", ports: [{ port: 80 }, { port: 81 }] },
        },
      )
      .add({ group: "", resource: "configmaps" }, { metadata: { name: "c", namespace: "ns" } })
      .add({ group: "apps", resource: "deployments" }, { metadata: { name: "d", namespace: "ns" } })
      .add(
        { group: "", resource: "persistentvolumeclaims" },
        {
          metadata: { name: "pvc", namespace: "ns" },
          spec: { storageClassName: "gold", resources: { requests: { storage: "1Gi" } } },
        },
      );
    const hard = {
      pods: "100",
      "count/pods": "100",
      "requests.cpu": "10",
      "requests.memory": "10Gi",
      "limits.cpu": "10",
      "limits.memory": "10Gi",
      "services.nodeports": "5",
      configmaps: "5",
      "count/deployments.apps": "5",
      "requests.storage": "100Gi",
      "gold.storageclass.storage.k8s.io/requests.storage": "10Gi",
      "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "10",
      "example.com/unknown": "1",
    };
    expect(quotaUsage(quota("q", hard), reader)).toEqual({
      configmaps: "1",
      "count/deployments.apps": "1",
      "count/pods": "4",
      "gold.storageclass.storage.k8s.io/persistentvolumeclaims": "1",
      "gold.storageclass.storage.k8s.io/requests.storage": "1Gi",
      "limits.cpu": "2",
      "limits.memory": "0",
      pods: "2",
      "requests.cpu": "1",
      "requests.memory": "2Gi",
      "requests.storage": "1Gi",
      "services.nodeports": "2",
    });
  });

  test("counts only pods within the quota's scopes", () => {
    const reader = new MemoryReader().add(
      PODS,
      busyPod("a"),
      pod("besteffort", { containers: [{ name: "c" }] }),
      pod("batch", { activeDeadlineSeconds: 60, containers: [{ name: "c" }] }),
      pod("high", { priorityClassName: "high", containers: [{ name: "c" }] }),
    );
    const scoped = (spec: Record<string, unknown>) =>
      quotaUsage(quota("q", { pods: "10" }, { spec }), reader).pods;
    expect(scoped({ scopes: ["BestEffort"] })).toBe("3");
    expect(scoped({ scopes: ["NotBestEffort"] })).toBe("1");
    expect(scoped({ scopes: ["Terminating"] })).toBe("1");
    expect(scoped({ scopes: ["NotTerminating", "BestEffort"] })).toBe("2");
    const selector = (operator: string, values?: string[]) => ({
      scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator, values }] },
    });
    expect(scoped(selector("In", ["high"]))).toBe("1");
    expect(scoped(selector("NotIn", ["high"]))).toBe("3");
    expect(scoped(selector("Exists"))).toBe("1");
    expect(scoped(selector("DoesNotExist"))).toBe("3");
  });
});

describe("ResourceQuotaAdmission", () => {
  test("refuses a pod over the quota with upstream's message", async () => {
    const { plugin, access } = setup([quota("q", { pods: "10" }, { used: { pods: "10" } })]);
    const error = await rejection(plugin.validate(request(kinds.pods, busyPod("p"))));
    expect(error.status.code).toBe(403);
    expect(error.message).toBe(
      'pods "p" is forbidden: exceeded quota: q, requested: pods=1, used: pods=10, limited: pods=10',
    );
    expect(access.writes).toBe(0);
  });

  test("names every exceeded resource, sorted", async () => {
    const hard = { pods: "10", "requests.cpu": "1", "requests.memory": "4Gi" };
    const used = { pods: "1", "requests.cpu": "800m", "requests.memory": "3500Mi" };
    const { plugin } = setup([quota("compute", hard, { used })]);
    const error = await rejection(plugin.validate(request(kinds.pods, busyPod("p"))));
    expect(error.message).toBe(
      'pods "p" is forbidden: exceeded quota: compute, requested: requests.cpu=500m,requests.memory=1Gi, used: requests.cpu=800m,requests.memory=3500Mi, limited: requests.cpu=1,requests.memory=4Gi',
    );
  });

  test("charges status.used and copies spec.hard to status.hard", async () => {
    const hard = { pods: "10", "requests.cpu": "4", configmaps: "3" };
    const { plugin, access } = setup([
      quota("q", hard, { used: { pods: "2", "requests.cpu": "1", configmaps: "1" } }),
    ]);
    await plugin.validate(request(kinds.pods, busyPod("p")));
    expect(access.status("q")).toEqual({
      hard,
      used: { pods: "3", "requests.cpu": "1500m", configmaps: "1" },
    });
  });

  test("a quota without status.used is counted from the cache first", async () => {
    const { plugin, access } = setup([quota("q", { pods: "3" })], busyPod("a"), busyPod("b"));
    await plugin.validate(request(kinds.pods, busyPod("c")));
    expect(access.used("q")).toEqual({ pods: "3" });
    await rejection(plugin.validate(request(kinds.pods, busyPod("d"))));
  });

  test("a container that does not state a quota'd resource is refused", async () => {
    const { plugin } = setup([
      quota("q", { "requests.cpu": "4", "limits.memory": "4Gi" }, { used: {} }),
    ]);
    const object = pod("p", {
      containers: [container("c1"), container("c2", { cpu: "1" }, { memory: "1Gi" })],
      initContainers: [container("init", { cpu: "1" })],
    });
    const error = await rejection(plugin.validate(request(kinds.pods, object)));
    expect(error.message).toBe(
      'pods "p" is forbidden: failed quota: q: [must specify limits.memory for: c1,init, must specify requests.cpu for: c1]',
    );
    const one = setup([quota("q", { "requests.cpu": "4" }, { used: {} })]);
    const single = pod("p", { containers: [container("c1")] });
    expect((await rejection(one.plugin.validate(request(kinds.pods, single)))).message).toBe(
      'pods "p" is forbidden: failed quota: q: must specify requests.cpu for: c1',
    );
  });

  test("terminal pods are not charged for pods or compute", async () => {
    const { plugin, access } = setup([
      quota("q", { pods: "1", "count/pods": "5" }, { used: { pods: "1", "count/pods": "1" } }),
    ]);
    const finished = { ...busyPod("p"), status: { phase: "Failed" } };
    await plugin.validate(request(kinds.pods, finished));
    expect(access.used("q")).toEqual({ pods: "1", "count/pods": "2" });
  });

  test("a dry run is checked but not charged", async () => {
    const { plugin, access } = setup([quota("q", { pods: "1" }, { used: { pods: "0" } })]);
    await plugin.validate(request(kinds.pods, busyPod("p"), { dryRun: true }));
    expect(access.writes).toBe(0);
    const full = setup([quota("q", { pods: "1" }, { used: { pods: "1" } })]);
    await rejection(full.plugin.validate(request(kinds.pods, busyPod("p"), { dryRun: true })));
  });

  test("an aborted write gives its charge back", async () => {
    const { plugin, access } = setup([quota("q", { pods: "5" }, { used: { pods: "2" } })]);
    const req = request(kinds.pods, busyPod("p"));
    await plugin.validate(req);
    expect(access.used("q")).toEqual({ pods: "3" });
    await plugin.aborted(req);
    expect(access.used("q")).toEqual({ pods: "2" });
    await plugin.aborted(req);
    expect(access.used("q")).toEqual({ pods: "2" });
  });

  test("when a later quota refuses, earlier charges are given back", async () => {
    const { plugin, access } = setup([
      quota("roomy", { pods: "100" }, { used: { pods: "0" } }),
      quota("tight", { "requests.cpu": "100m" }, { used: { "requests.cpu": "0" } }),
    ]);
    const error = await rejection(plugin.validate(request(kinds.pods, busyPod("p"))));
    expect(error.message).toContain("exceeded quota: tight");
    expect(access.used("roomy")).toEqual({ pods: "0" });
    expect(access.writes).toBe(2);
  });

  test("scoped quotas apply only to pods in their scopes", async () => {
    const { plugin, access } = setup([
      quota("besteffort", { pods: "0" }, { used: { pods: "0" }, spec: { scopes: ["BestEffort"] } }),
    ]);
    await plugin.validate(request(kinds.pods, busyPod("p")));
    await plugin.validate(request(kinds.configMaps, { metadata: { name: "c", namespace: "ns" } }));
    expect(access.writes).toBe(0);
    const error = await rejection(
      plugin.validate(request(kinds.pods, pod("idle", { containers: [{ name: "c" }] }))),
    );
    expect(error.message).toContain("exceeded quota: besteffort, requested: pods=1");
  });

  test("object counts cover any namespaced kind, with the legacy names for core ones", async () => {
    const hard = { configmaps: "5", "count/configmaps": "5", "count/deployments.apps": "1" };
    const { plugin, access } = setup([
      quota("q", hard, {
        used: { configmaps: "0", "count/configmaps": "0", "count/deployments.apps": "1" },
      }),
    ]);
    await plugin.validate(request(kinds.configMaps, { metadata: { name: "c", namespace: "ns" } }));
    expect(access.used("q")).toEqual({
      configmaps: "1",
      "count/configmaps": "1",
      "count/deployments.apps": "1",
    });
    const error = await rejection(
      plugin.validate(request(kinds.deployments, { metadata: { name: "d", namespace: "ns" } })),
    );
    expect(error.message).toBe(
      'deployments.apps "d" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1',
    );
  });

  test("events, subresources, deletes and other namespaces are not counted", async () => {
    const { plugin, access } = setup([
      quota("q", { "count/events": "0", pods: "0" }, { used: {} }),
    ]);
    await plugin.validate(request(kinds.events, { metadata: { name: "e", namespace: "ns" } }));
    const p = busyPod("p");
    await plugin.validate(
      request(kinds.pods, p, { subresource: "status", operation: "UPDATE", oldObject: p }),
    );
    await plugin.validate(request(kinds.pods, p, { operation: "DELETE", oldObject: p }));
    await plugin.validate(request(kinds.pods, pod("x", { containers: [] }, "other")));
    expect(access.writes).toBe(0);
    await rejection(plugin.validate(request(kinds.pods, busyPod("q"))));
  });

  test("an update is charged the difference: a Service that becomes a NodePort", async () => {
    const hard = { services: "5", "services.nodeports": "2" };
    const { plugin, access } = setup([
      quota("q", hard, { used: { services: "1", "services.nodeports": "0" } }),
    ]);
    const old = {
      metadata: { name: "s", namespace: "ns", resourceVersion: "7" },
      spec: { type: "ClusterIP", ports: [{ port: 80 }] },
    };
    const next = structuredClone(old);
    next.spec.type = "NodePort";
    await plugin.validate(request(kinds.services, next, { operation: "UPDATE", oldObject: old }));
    expect(access.used("q")).toEqual({ services: "1", "services.nodeports": "1" });
    // An update that changes nothing quota tracks writes nothing.
    await plugin.validate(request(kinds.services, next, { operation: "UPDATE", oldObject: next }));
    expect(access.writes).toBe(1);
  });

  test("16 concurrent creates against pods=10: exactly 10 are admitted", async () => {
    // The reader's copy stays stale (no status, resourceVersion 1): only compare-and-swap
    // against the access's stored version keeps the count exact.
    const { plugin, access } = setup([quota("q", { pods: "10" })]);
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => plugin.validate(request(kinds.pods, busyPod(`p${i}`)))),
    );
    const admitted = results.filter((r) => r.status === "fulfilled").length;
    const refused = results.flatMap((r) =>
      r.status === "rejected" ? [r.reason as StatusError] : [],
    );
    expect(admitted).toBe(10);
    expect(refused).toHaveLength(6);
    for (const error of refused) {
      expect(error.message).toEndWith(
        "exceeded quota: q, requested: pods=1, used: pods=10, limited: pods=10",
      );
    }
    expect(access.used("q")).toEqual({ pods: "10" });
    expect(access.conflicts).toBeGreaterThan(0);
  });

  test("persistent conflicts end in a 409 after bounded retries", async () => {
    const reader = new MemoryReader().add(
      QUOTAS,
      quota("q", { pods: "10" }, { used: { pods: "0" } }),
    );
    let updates = 0;
    const access: QuotaAccess = {
      get: async () => quota("q", { pods: "10" }, { used: { pods: "0" } }),
      updateStatus: async () => {
        updates++;
        throw conflict(
          { group: "", resource: "resourcequotas", name: "q" },
          modifiedConflictReason,
        );
      },
    };
    const error = await rejection(
      new ResourceQuotaAdmission(reader, access).validate(request(kinds.pods, busyPod("p"))),
    );
    expect(error.status.code).toBe(409);
    expect(error.message).toBe(
      'Operation cannot be fulfilled on resourcequotas "q": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(updates).toBe(100);
  });

  test("a quota deleted meanwhile is skipped", async () => {
    const reader = new MemoryReader().add(
      QUOTAS,
      quota("q", { pods: "1" }, { used: { pods: "1" } }),
    );
    const access = new MemoryQuotaAccess();
    // The cached copy says full; the store no longer has the quota.
    await new ResourceQuotaAdmission(reader, access).validate(request(kinds.pods, busyPod("p")));
    expect(access.writes).toBe(0);
  });
});
