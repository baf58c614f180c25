import { describe, expect, test } from "bun:test";
import { builtinPriorityClasses, PriorityAdmission } from "../../../src/api/admission/priority.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { kinds, MemoryReader, pod, rejection, request } from "./support.ts";

const CLASSES = { group: "scheduling.k8s.io", resource: "priorityclasses" };

function priorityClass(
  name: string,
  value: number,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name },
    value,
    preemptionPolicy: "PreemptLowerPriority",
    ...extra,
  };
}

function admission(...classes: KubeObject[]): PriorityAdmission {
  return new PriorityAdmission(new MemoryReader().add(CLASSES, ...classes));
}

type Spec = { priorityClassName?: string; priority?: number; preemptionPolicy?: string };

async function admit(plugin: PriorityAdmission, spec: Record<string, unknown>): Promise<Spec> {
  const object = pod("p", spec);
  await plugin.mutate(request(kinds.pods, object));
  return object.spec as Spec;
}

describe("PriorityAdmission", () => {
  test("a named class sets the priority and preemption policy", async () => {
    const plugin = admission(priorityClass("high", 1000, { preemptionPolicy: "Never" }));
    const spec = await admit(plugin, { priorityClassName: "high", containers: [] });
    expect(spec).toMatchObject({
      priorityClassName: "high",
      priority: 1000,
      preemptionPolicy: "Never",
    });
  });

  test("without a name the global default class applies, the lowest if there are two", async () => {
    const plugin = admission(
      priorityClass("ordinary", 10, { globalDefault: true }),
      priorityClass("other", 5, { globalDefault: true }),
      priorityClass("high", 1000),
    );
    const spec = await admit(plugin, { containers: [] });
    expect(spec).toMatchObject({ priorityClassName: "other", priority: 5 });
  });

  test("without a name or a default class the priority is 0", async () => {
    const spec = await admit(admission(priorityClass("high", 1000)), { containers: [] });
    expect(spec.priority).toBe(0);
    expect(spec.preemptionPolicy).toBe("PreemptLowerPriority");
    expect(spec.priorityClassName).toBeUndefined();
  });

  test("an unknown class is Forbidden", async () => {
    const error = await rejection(
      admit(admission(), { priorityClassName: "nope", containers: [] }),
    );
    expect(error.status.code).toBe(403);
    expect(error.message).toBe('pods "p" is forbidden: no PriorityClass with name nope was found');
  });

  test("the system classes resolve before they exist", async () => {
    const spec = await admit(admission(), {
      priorityClassName: "system-node-critical",
      containers: [],
    });
    expect(spec.priority).toBe(2000001000);
  });

  test("a client-set priority must match the computed one", async () => {
    const plugin = admission(priorityClass("high", 1000));
    const error = await rejection(
      admit(plugin, { priorityClassName: "high", priority: 7, containers: [] }),
    );
    expect(error.message).toBe(
      'pods "p" is forbidden: the integer value of priority (7) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name',
    );
    const same = await admit(plugin, { priorityClassName: "high", priority: 1000, containers: [] });
    expect(same.priority).toBe(1000);
  });

  test("updates keep the priority set at creation", async () => {
    const old = pod("p", { priority: 1000, preemptionPolicy: "Never", containers: [] });
    const next = pod("p", { containers: [] });
    await admission().mutate(request(kinds.pods, next, { operation: "UPDATE", oldObject: old }));
    expect(next.spec).toMatchObject({ priority: 1000, preemptionPolicy: "Never" });
  });

  test("only one PriorityClass may be the global default", async () => {
    const plugin = admission(priorityClass("ordinary", 10, { globalDefault: true }));
    const second = priorityClass("another", 20, { globalDefault: true });
    const error = await rejection(plugin.validate(request(kinds.priorityClasses, second)));
    expect(error.message).toBe(
      'priorityclasses.scheduling.k8s.io "another" is forbidden: PriorityClass ordinary is already marked as default. Only one default can exist',
    );
    const same = priorityClass("ordinary", 10, { globalDefault: true, description: "x" });
    await plugin.validate(
      request(kinds.priorityClasses, same, { operation: "UPDATE", oldObject: same }),
    );
  });

  test("builtinPriorityClasses are upstream's two system classes", () => {
    const classes = builtinPriorityClasses();
    expect(classes.map((pc) => [pc.metadata?.name, pc.value])).toEqual([
      ["system-node-critical", 2000001000],
      ["system-cluster-critical", 2000000000],
    ]);
    expect(classes[0]?.description).toBe(
      "Used for system critical pods that must not be moved from their current node.",
    );
    expect(classes[1]?.description).toBe(
      "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    );
  });
});
