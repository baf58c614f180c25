/**
 * Which plugins exist and how a profile turns into a Framework: upstream's v1 defaults
 * (every default plugin enabled at multiPoint, with its score weight), merged with the
 * profile's configuration the way upstream merges them (mergePluginSet, then multiPoint
 * expansion: a plugin configured at a specific extension point overrides its multiPoint
 * entry there; a disabled one is dropped there; "*" drops every default).
 */
import type { ExtensionPoint, PluginRef, PluginSet, ProfileConfig } from "./config.ts";
import {
  Framework,
  type NominatedPods,
  type Plugin,
  type ProfilePlugins,
  type ScorePlugin,
} from "./framework.ts";
import type { Handle } from "./handle.ts";
import { NodeResourcesBalancedAllocation } from "./plugins/balanced-allocation.ts";
import { DefaultBinder } from "./plugins/default-binder.ts";
import { DefaultPreemption } from "./plugins/default-preemption.ts";
import { InterPodAffinity } from "./plugins/inter-pod-affinity.ts";
import { NodeAffinity } from "./plugins/node-affinity.ts";
import { NodeName } from "./plugins/node-name.ts";
import { NodePorts } from "./plugins/node-ports.ts";
import { NodeResourcesFit } from "./plugins/node-resources-fit.ts";
import { NodeUnschedulable } from "./plugins/node-unschedulable.ts";
import { PodTopologySpread } from "./plugins/pod-topology-spread.ts";
import { SchedulingGates } from "./plugins/scheduling-gates.ts";
import { TaintToleration } from "./plugins/taint-toleration.ts";
import { VolumeBinding } from "./plugins/volume-binding.ts";

type Factory = (handle: Handle, args: Record<string, unknown>) => Plugin;

// biome-ignore lint/suspicious/noExplicitAny: plugin args were validated in config.ts
const as = (args: Record<string, unknown>) => args as any;

export const REGISTRY: Record<string, Factory> = {
  SchedulingGates: () => new SchedulingGates(),
  NodeUnschedulable: () => new NodeUnschedulable(),
  NodeName: () => new NodeName(),
  TaintToleration: () => new TaintToleration(),
  NodeAffinity: () => new NodeAffinity(),
  NodePorts: () => new NodePorts(),
  NodeResourcesFit: (_handle, args) => new NodeResourcesFit(as(args)),
  VolumeBinding: (handle, args) => new VolumeBinding(handle, as(args)),
  PodTopologySpread: (handle, args) => new PodTopologySpread(handle, as(args)),
  InterPodAffinity: (handle, args) => new InterPodAffinity(handle, as(args)),
  DefaultPreemption: (handle, args) => new DefaultPreemption(handle, as(args)),
  NodeResourcesBalancedAllocation: (_handle, args) => new NodeResourcesBalancedAllocation(as(args)),
  DefaultBinder: (handle) => new DefaultBinder(handle),
};

/** Upstream's v1 default multiPoint plugins, in order, with the default score weights. */
export const DEFAULT_MULTI_POINT: PluginRef[] = [
  { name: "SchedulingGates" },
  { name: "PrioritySort" },
  { name: "NodeUnschedulable" },
  { name: "NodeName" },
  { name: "TaintToleration", weight: 3 },
  { name: "NodeAffinity", weight: 2 },
  { name: "NodePorts" },
  { name: "NodeResourcesFit", weight: 1 },
  { name: "VolumeRestrictions" },
  { name: "NodeVolumeLimits" },
  { name: "VolumeBinding" },
  { name: "VolumeZone" },
  { name: "PodTopologySpread", weight: 2 },
  { name: "InterPodAffinity", weight: 2 },
  { name: "DefaultPreemption" },
  { name: "NodeResourcesBalancedAllocation", weight: 1 },
  { name: "ImageLocality", weight: 1 },
  { name: "DefaultBinder" },
];

/** The extension points that run plugins, and the method each needs. */
const POINT_METHODS = {
  preEnqueue: "preEnqueue",
  preFilter: "preFilter",
  filter: "filter",
  postFilter: "postFilter",
  preScore: "preScore",
  score: "score",
  reserve: "reserve",
  preBind: "preBind",
  bind: "bind",
} as const;
type RunPoint = keyof typeof POINT_METHODS;

/** Upstream mergePluginSet: defaults minus disabled ("*": all), re-configured in place, plus the rest. */
export function mergePluginSet(defaults: PluginSet, custom: PluginSet | undefined): PluginSet {
  if (!custom) return defaults;
  const disabled = new Set(custom.disabled.map((p) => p.name));
  const customByName = new Map(custom.enabled.map((p, i) => [p.name, i]));
  const replaced = new Set<number>();
  const enabled: PluginRef[] = [];
  if (!disabled.has("*")) {
    for (const plugin of defaults.enabled) {
      if (disabled.has(plugin.name)) continue;
      const index = customByName.get(plugin.name);
      if (index !== undefined) {
        replaced.add(index);
        enabled.push(custom.enabled[index] as PluginRef);
      } else enabled.push(plugin);
    }
  }
  custom.enabled.forEach((plugin, i) => {
    if (!replaced.has(i)) enabled.push(plugin);
  });
  return { enabled, disabled: custom.disabled };
}

/** Each run point's plugin list (name and weight), in order. */
export function resolvePlugins(
  profile: ProfileConfig,
  implementsPoint: (name: string, point: RunPoint) => boolean,
): Record<RunPoint, PluginRef[]> {
  const point = (p: ExtensionPoint) =>
    mergePluginSet(
      { enabled: p === "multiPoint" ? DEFAULT_MULTI_POINT : [], disabled: [] },
      profile.plugins[p],
    );
  const multi = point("multiPoint").enabled;
  const multiNames = new Set(multi.map((p) => p.name));
  const result = {} as Record<RunPoint, PluginRef[]>;
  for (const run of Object.keys(POINT_METHODS) as RunPoint[]) {
    const specific = point(run);
    const disabled = new Set(specific.disabled.map((p) => p.name));
    const explicit = new Set(specific.enabled.map((p) => p.name));
    const fromMulti = multi.filter(
      (p) =>
        implementsPoint(p.name, run) &&
        !disabled.has("*") &&
        !disabled.has(p.name) &&
        !explicit.has(p.name),
    );
    for (const plugin of specific.enabled) {
      if (REGISTRY[plugin.name] && !implementsPoint(plugin.name, run)) {
        throw new Error(`plugin "${plugin.name}" does not extend ${run} plugin`);
      }
    }
    const list = [
      ...specific.enabled.filter((p) => multiNames.has(p.name)),
      ...fromMulti,
      ...specific.enabled.filter((p) => !multiNames.has(p.name)),
    ];
    const seen = new Set<string>();
    for (const plugin of list) {
      if (seen.has(plugin.name)) {
        throw new Error(`plugin "${plugin.name}" is enabled twice at ${run}`);
      }
      seen.add(plugin.name);
    }
    result[run] = list.filter((p) => REGISTRY[p.name]);
  }
  return result;
}

/** Checks that every profile resolves (plugins extend the points they are enabled at). */
export function validateProfiles(profiles: readonly ProfileConfig[]): void {
  for (const profile of profiles) {
    // Constructors only keep the handle, so a placeholder serves for this check.
    const handle = {} as Handle;
    const implementsPoint = (name: string, point: RunPoint) => {
      const factory = REGISTRY[name];
      const plugin = factory?.(handle, profile.pluginConfig[name] ?? {}) as unknown as
        | Record<string, unknown>
        | undefined;
      return typeof plugin?.[POINT_METHODS[point]] === "function";
    };
    try {
      const resolved = resolvePlugins(profile, implementsPoint);
      if (resolved.bind.length === 0) throw new Error("no bind plugin is enabled");
    } catch (error) {
      throw new Error(`profile "${profile.schedulerName}": ${(error as Error).message}`);
    }
  }
}

/**
 * Builds a profile's Framework; `handle.framework()` must return what this returns.
 */
export function buildFramework(
  profile: ProfileConfig,
  handle: Handle,
  nominated: NominatedPods,
  percentageOfNodesToScore?: number,
): Framework {
  const instances = new Map<string, Plugin>();
  const instance = (name: string): Plugin | undefined => {
    const factory = REGISTRY[name];
    if (!factory) return undefined;
    let plugin = instances.get(name);
    if (!plugin) {
      plugin = factory(handle, profile.pluginConfig[name] ?? {});
      instances.set(name, plugin);
    }
    return plugin;
  };
  const implementsPoint = (name: string, point: RunPoint) => {
    const plugin = instance(name) as unknown as Record<string, unknown> | undefined;
    return typeof plugin?.[POINT_METHODS[point]] === "function";
  };
  const resolved = resolvePlugins(profile, implementsPoint);
  const pick = <T>(point: RunPoint) => resolved[point].map((p) => instance(p.name) as T);
  const plugins: ProfilePlugins = {
    preEnqueue: pick("preEnqueue"),
    preFilter: pick("preFilter"),
    filter: pick("filter"),
    postFilter: pick("postFilter"),
    preScore: pick("preScore"),
    score: resolved.score.map((p) => ({
      plugin: instance(p.name) as ScorePlugin,
      weight: p.weight || 1,
    })),
    reserve: pick("reserve"),
    preBind: pick("preBind"),
    bind: pick("bind"),
  };
  return new Framework(
    profile.schedulerName,
    plugins,
    nominated,
    profile.percentageOfNodesToScore ?? percentageOfNodesToScore,
  );
}
