import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { CycleState } from "../../../src/scheduler/framework.ts";
import { VolumeBinding } from "../../../src/scheduler/plugins/volume-binding.ts";
import { Code, Status } from "../../../src/scheduler/status.ts";
import { cacheWith, type FakeWorld, fakeHandle, info, node, pod } from "../fixtures.ts";

const nodes = [node("n1", { labels: { disk: "local" } }), node("n2")];
const claim = (
  name: string,
  extra: Record<string, unknown> = {},
  status = "Pending",
): KubeObject => ({
  metadata: { name, namespace: "default", uid: `uid-${name}`, annotations: {} },
  spec: {
    storageClassName: "local",
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: "1Gi" } },
    ...extra,
  },
  status: { phase: status },
});
const volume = (
  name: string,
  nodeName: string,
  extra: Record<string, unknown> = {},
): KubeObject => ({
  metadata: { name },
  spec: {
    storageClassName: "local",
    accessModes: ["ReadWriteOnce"],
    capacity: { storage: "2Gi" },
    nodeAffinity: {
      required: {
        nodeSelectorTerms: [
          {
            matchExpressions: [
              { key: "kubernetes.io/hostname", operator: "In", values: [nodeName] },
            ],
          },
        ],
      },
    },
    ...extra,
  },
  status: { phase: "Available" },
});
const storageClass = (mode: string, provisioner = "kubun.io/local-path") => ({
  metadata: { name: "local" },
  provisioner,
  volumeBindingMode: mode,
});
const withClaim = (name: string) =>
  pod("p", { spec: { volumes: [{ name: "data", persistentVolumeClaim: { claimName: name } }] } });

function run(world: FakeWorld, incoming = withClaim("data")) {
  const cache = cacheWith(nodes);
  const handle = fakeHandle(cache, world);
  const plugin = new VolumeBinding(handle, { bindTimeoutSeconds: 5 });
  const state = new CycleState();
  const p = info(incoming);
  const pre = plugin.preFilter(state, p);
  const statuses = pre ? [] : cache.nodeList().map((n) => plugin.filter(state, p, n));
  return { plugin, handle, state, p, pre, statuses };
}

describe("VolumeBinding", () => {
  test("a missing claim, and an unbound claim of an Immediate class, are unresolvable", () => {
    const missing = run({});
    expect(missing.pre?.reasons).toEqual(['persistentvolumeclaim "data" not found']);
    expect(missing.pre?.code).toBe(Code.UnschedulableAndUnresolvable);
    const immediate = run({ pvcs: [claim("data")], storageClasses: [storageClass("Immediate")] });
    expect(immediate.pre?.reasons).toEqual(["pod has unbound immediate PersistentVolumeClaims"]);
    expect(run({}, pod("p")).pre).toBe(Status.skip);
  });

  test("a bound claim's volume must allow the node", () => {
    const bound = claim("data", { volumeName: "pv1" }, "Bound");
    const { statuses } = run({ pvcs: [bound], pvs: [volume("pv1", "n2")] });
    expect(statuses[0]?.reasons).toEqual(["node(s) had volume node affinity conflict"]);
    expect(statuses[1]).toBeUndefined();
  });

  test("WaitForFirstConsumer: any node a provisioner serves; a static volume only where it is", () => {
    const provisioned = run({
      pvcs: [claim("data")],
      storageClasses: [storageClass("WaitForFirstConsumer")],
    });
    expect(provisioned.statuses).toEqual([undefined, undefined]);
    const staticOnly = run({
      pvcs: [claim("data")],
      pvs: [volume("pv1", "n1")],
      storageClasses: [storageClass("WaitForFirstConsumer", "kubernetes.io/no-provisioner")],
    });
    expect(staticOnly.statuses[0]).toBeUndefined();
    expect(staticOnly.statuses[1]?.reasons).toEqual([
      "node(s) didn't find available persistent volumes to bind",
    ]);
  });

  test("PreBind annotates the claim with the node and waits until it is bound", async () => {
    const pending = claim("data");
    const world: FakeWorld = {
      pvcs: [pending],
      pvs: [volume("pv1", "n1")],
      storageClasses: [storageClass("WaitForFirstConsumer")],
    };
    const { plugin, handle, state, p } = run(world);
    expect(plugin.reserve(state, p, "n1")).toBeUndefined();
    let done = false;
    const binding = plugin.preBind(state, p, "n1").then((status) => {
      done = true;
      return status;
    });
    await Bun.sleep(10);
    expect(done).toBe(false);
    expect(handle.calls.map((c) => [c.verb, c.path])).toEqual([
      ["patch", "/api/v1/persistentvolumes/pv1"],
      ["patch", "/api/v1/namespaces/default/persistentvolumeclaims/data"],
    ]);
    expect(handle.calls[1]?.body).toEqual({
      metadata: { annotations: { "volume.kubernetes.io/selected-node": "n1" } },
    });
    // The binder binds the claim.
    world.pvcs = [claim("data", { volumeName: "pv1" }, "Bound")];
    handle.storageChanged();
    expect(await binding).toBeUndefined();
  });
});
