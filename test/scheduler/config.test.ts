import { describe, expect, test } from "bun:test";
import { parseSchedulerConfiguration, SchedulerConfigError } from "../../src/scheduler/config.ts";
import { resolvePlugins, validateProfiles } from "../../src/scheduler/registry.ts";
import { cacheWith, fakeHandle, framework } from "./fixtures.ts";

const header = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

const names = (list: { plugin?: { name: string }; name?: string }[]) =>
  list.map((p) => p.plugin?.name ?? p.name);

describe("KubeSchedulerConfiguration", () => {
  test("the default profile runs upstream's default plugins with their weights", () => {
    const fw = framework(fakeHandle(cacheWith([])));
    expect(names(fw.plugins.filter)).toEqual([
      "NodeUnschedulable",
      "NodeName",
      "TaintToleration",
      "NodeAffinity",
      "NodePorts",
      "NodeResourcesFit",
      "VolumeBinding",
      "PodTopologySpread",
      "InterPodAffinity",
    ]);
    expect(fw.plugins.score.map((s) => [s.plugin.name, s.weight])).toEqual([
      ["TaintToleration", 3],
      ["NodeAffinity", 2],
      ["NodeResourcesFit", 1],
      ["PodTopologySpread", 2],
      ["InterPodAffinity", 2],
      ["NodeResourcesBalancedAllocation", 1],
    ]);
    expect(names(fw.plugins.postFilter)).toEqual(["DefaultPreemption"]);
    expect(names(fw.plugins.bind)).toEqual(["DefaultBinder"]);
  });

  test("profiles disable, re-weight and add plugins per extension point", () => {
    const config = parseSchedulerConfiguration(`${header}
profiles:
  - schedulerName: default-scheduler
  - schedulerName: packer
    plugins:
      filter:
        disabled: [{name: TaintToleration}]
      score:
        disabled: [{name: "*"}]
        enabled: [{name: NodeResourcesFit, weight: 5}]
    pluginConfig:
      - name: NodeResourcesFit
        args:
          scoringStrategy:
            type: MostAllocated
            resources: [{name: cpu, weight: 2}, {name: memory}]
`);
    expect(config.profiles.map((p) => p.schedulerName)).toEqual(["default-scheduler", "packer"]);
    const packer = config.profiles[1];
    if (!packer) throw new Error("no profile");
    expect(packer.pluginConfig.NodeResourcesFit).toEqual({
      scoringStrategy: {
        type: "MostAllocated",
        resources: [
          { name: "cpu", weight: 2 },
          { name: "memory", weight: 1 },
        ],
      },
    });
    const fw = framework(fakeHandle(cacheWith([])), packer);
    expect(names(fw.plugins.filter)).not.toContain("TaintToleration");
    // "*" at score dropped every default scorer; only the re-enabled one is left.
    expect(fw.plugins.score.map((s) => [s.plugin.name, s.weight])).toEqual([
      ["NodeResourcesFit", 5],
    ]);
    expect(names(fw.plugins.preFilter)).toContain("NodeAffinity");
  });

  test("disabling at multiPoint removes a plugin everywhere", () => {
    const config = parseSchedulerConfiguration(`${header}
profiles:
  - plugins:
      multiPoint:
        disabled: [{name: TaintToleration}]
`);
    const resolved = resolvePlugins(config.profiles[0] as never, () => true);
    expect(resolved.filter.map((p) => p.name)).not.toContain("TaintToleration");
    expect(resolved.score.map((p) => p.name)).not.toContain("TaintToleration");
  });

  test("mistakes are refused with the field at fault", () => {
    const refuse = (text: string, message: string) => {
      expect(() => parseSchedulerConfiguration(text)).toThrow(SchedulerConfigError);
      expect(() => parseSchedulerConfiguration(text)).toThrow(message);
    };
    refuse("apiVersion: v1\nkind: Pod\n", "apiVersion: must be kubescheduler.config.k8s.io/v1");
    refuse(
      `${header}profiles: [{plugins: {filter: {enabled: [{name: Nope}]}}}]`,
      'profiles[0].plugins.filter.enabled[0].name: plugin "Nope" does not exist',
    );
    refuse(
      `${header}profiles: [{plugins: {sort: {}}}]`,
      "profiles[0].plugins.sort: unknown extension point",
    );
    refuse(
      `${header}profiles: [{}, {}]`,
      'profiles[1].schedulerName: duplicate "default-scheduler"',
    );
    refuse(
      `${header}profiles: [{pluginConfig: [{name: NodeResourcesFit, args: {scoringStrategy: {type: Fastest}}}]}]`,
      "profiles[0].pluginConfig[0].args.scoringStrategy.type: must be LeastAllocated, MostAllocated or RequestedToCapacityRatio",
    );
    refuse(
      `${header}percentageOfNodesToScore: 150`,
      "percentageOfNodesToScore: must be a whole number between 0 and 100",
    );
    refuse(`${header}bogus: 1`, "bogus: unknown field");
    refuse(
      `${header}profiles: [{pluginConfig: [{name: PodTopologySpread, args: {defaultConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]}}]}]`,
      'must be empty when defaultingType is "System"',
    );
  });

  test("a plugin enabled where it has no such extension point is refused", () => {
    const config = parseSchedulerConfiguration(`${header}
profiles:
  - plugins:
      score:
        enabled: [{name: NodePorts}]
`);
    expect(() => validateProfiles(config.profiles)).toThrow(
      'profile "default-scheduler": plugin "NodePorts" does not extend score plugin',
    );
  });
});
