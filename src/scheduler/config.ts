/**
 * KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), the file `kubun server
 * --scheduler-config` reads: profiles by schedulerName, each with plugins enabled,
 * disabled ("*": all defaults) or re-weighted per extension point or at multiPoint, and
 * plugin arguments. Mistakes are refused with the field that is wrong, before anything
 * starts; fields we do not implement are refused by name rather than ignored.
 */
import { parse as parseYaml } from "yaml";
import { DEFAULT_SCHEDULER } from "./types.ts";

export const API_VERSION = "kubescheduler.config.k8s.io/v1";

export const EXTENSION_POINTS = [
  "multiPoint",
  "preEnqueue",
  "queueSort",
  "preFilter",
  "filter",
  "postFilter",
  "preScore",
  "score",
  "reserve",
  "permit",
  "preBind",
  "bind",
  "postBind",
] as const;
export type ExtensionPoint = (typeof EXTENSION_POINTS)[number];

export interface PluginRef {
  name: string;
  weight?: number;
}
export interface PluginSet {
  enabled: PluginRef[];
  disabled: PluginRef[];
}
export interface ProfileConfig {
  schedulerName: string;
  plugins: Partial<Record<ExtensionPoint, PluginSet>>;
  /** Validated arguments by plugin name. */
  pluginConfig: Record<string, Record<string, unknown>>;
  percentageOfNodesToScore?: number;
}
export interface SchedulerConfiguration {
  profiles: ProfileConfig[];
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds: number;
  podMaxBackoffSeconds: number;
}

/** The plugins kubun implements (see registry.ts) and the upstream ones it accepts as no-ops. */
export const IMPLEMENTED_PLUGINS = [
  "SchedulingGates",
  "PrioritySort",
  "NodeUnschedulable",
  "NodeName",
  "TaintToleration",
  "NodeAffinity",
  "NodePorts",
  "NodeResourcesFit",
  "VolumeBinding",
  "PodTopologySpread",
  "InterPodAffinity",
  "DefaultPreemption",
  "NodeResourcesBalancedAllocation",
  "DefaultBinder",
];
/** Upstream default plugins with nothing to do here (no CSI limits, zones of volumes, images). */
export const NO_OP_PLUGINS = [
  "VolumeRestrictions",
  "NodeVolumeLimits",
  "VolumeZone",
  "ImageLocality",
  "DynamicResources",
];

export class SchedulerConfigError extends Error {
  override name = "SchedulerConfigError";
}

const TOP_LEVEL_KEYS = new Set([
  "apiVersion",
  "kind",
  "profiles",
  "percentageOfNodesToScore",
  "podInitialBackoffSeconds",
  "podMaxBackoffSeconds",
  "parallelism",
  "leaderElection",
  "clientConnection",
  "healthzBindAddress",
  "metricsBindAddress",
  "enableProfiling",
  "enableContentionProfiling",
  "extenders",
  "delayCacheUntilActive",
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function fail(path: string, message: string): never {
  throw new SchedulerConfigError(`${path}: ${message}`);
}

function wholeNumber(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    fail(path, `must be a whole number between ${min} and ${max}, not ${JSON.stringify(value)}`);
  }
  return value;
}

function onlyKeys(value: Record<string, unknown>, keys: string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) fail(`${path}.${key}`, "unknown field");
  }
}

export function defaultSchedulerConfiguration(): SchedulerConfiguration {
  return {
    profiles: [{ schedulerName: DEFAULT_SCHEDULER, plugins: {}, pluginConfig: {} }],
    podInitialBackoffSeconds: 1,
    podMaxBackoffSeconds: 10,
  };
}

/** Parses and validates a configuration file's text (YAML or JSON). */
export function parseSchedulerConfiguration(text: string): SchedulerConfiguration {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new SchedulerConfigError(`not valid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(document)) fail("(document)", "must be a KubeSchedulerConfiguration object");
  if (document.apiVersion !== API_VERSION) {
    fail("apiVersion", `must be ${API_VERSION}, not ${JSON.stringify(document.apiVersion)}`);
  }
  if (document.kind !== "KubeSchedulerConfiguration") {
    fail("kind", `must be KubeSchedulerConfiguration, not ${JSON.stringify(document.kind)}`);
  }
  for (const key of Object.keys(document)) {
    if (!TOP_LEVEL_KEYS.has(key)) fail(key, "unknown field");
  }
  if (Array.isArray(document.extenders) && document.extenders.length > 0) {
    fail("extenders", "scheduler extenders are not supported");
  }
  const config = defaultSchedulerConfiguration();
  if (document.percentageOfNodesToScore !== undefined) {
    config.percentageOfNodesToScore = wholeNumber(
      document.percentageOfNodesToScore,
      "percentageOfNodesToScore",
      0,
      100,
    );
  }
  if (document.podInitialBackoffSeconds !== undefined) {
    config.podInitialBackoffSeconds = wholeNumber(
      document.podInitialBackoffSeconds,
      "podInitialBackoffSeconds",
      1,
    );
  }
  if (document.podMaxBackoffSeconds !== undefined) {
    config.podMaxBackoffSeconds = wholeNumber(
      document.podMaxBackoffSeconds,
      "podMaxBackoffSeconds",
      config.podInitialBackoffSeconds,
    );
  }
  if (document.profiles !== undefined) {
    if (!Array.isArray(document.profiles) || document.profiles.length === 0) {
      fail("profiles", "must be a non-empty list");
    }
    const names = new Set<string>();
    config.profiles = document.profiles.map((profile, i) => {
      const parsed = parseProfile(profile, `profiles[${i}]`);
      if (names.has(parsed.schedulerName)) {
        fail(`profiles[${i}].schedulerName`, `duplicate "${parsed.schedulerName}"`);
      }
      names.add(parsed.schedulerName);
      return parsed;
    });
  }
  return config;
}

function parseProfile(value: unknown, path: string): ProfileConfig {
  if (!isRecord(value)) fail(path, "must be an object");
  onlyKeys(value, ["schedulerName", "plugins", "pluginConfig", "percentageOfNodesToScore"], path);
  const schedulerName = value.schedulerName ?? DEFAULT_SCHEDULER;
  if (typeof schedulerName !== "string" || schedulerName === "") {
    fail(`${path}.schedulerName`, "must be a non-empty string");
  }
  const profile: ProfileConfig = { schedulerName, plugins: {}, pluginConfig: {} };
  if (value.percentageOfNodesToScore !== undefined) {
    profile.percentageOfNodesToScore = wholeNumber(
      value.percentageOfNodesToScore,
      `${path}.percentageOfNodesToScore`,
      0,
      100,
    );
  }
  if (value.plugins !== undefined && value.plugins !== null) {
    if (!isRecord(value.plugins)) fail(`${path}.plugins`, "must be an object");
    for (const [point, set] of Object.entries(value.plugins)) {
      if (!(EXTENSION_POINTS as readonly string[]).includes(point)) {
        fail(`${path}.plugins.${point}`, "unknown extension point");
      }
      profile.plugins[point as ExtensionPoint] = parsePluginSet(set, `${path}.plugins.${point}`);
    }
    const queueSort = profile.plugins.queueSort?.enabled ?? [];
    if (queueSort.some((p) => p.name !== "PrioritySort")) {
      fail(`${path}.plugins.queueSort`, "only PrioritySort is supported");
    }
  }
  if (value.pluginConfig !== undefined && value.pluginConfig !== null) {
    if (!Array.isArray(value.pluginConfig)) fail(`${path}.pluginConfig`, "must be a list");
    value.pluginConfig.forEach((entry, i) => {
      const at = `${path}.pluginConfig[${i}]`;
      if (!isRecord(entry)) fail(at, "must be an object");
      onlyKeys(entry, ["name", "args"], at);
      const name = entry.name;
      if (typeof name !== "string") fail(`${at}.name`, "must be a string");
      if (!IMPLEMENTED_PLUGINS.includes(name) && !NO_OP_PLUGINS.includes(name)) {
        fail(`${at}.name`, `plugin "${name}" does not exist`);
      }
      if (profile.pluginConfig[name]) fail(`${at}.name`, `duplicate args for plugin "${name}"`);
      const args = entry.args ?? {};
      if (!isRecord(args)) fail(`${at}.args`, "must be an object");
      profile.pluginConfig[name] = parsePluginArgs(name, args, `${at}.args`);
    });
  }
  return profile;
}

function parsePluginSet(value: unknown, path: string): PluginSet {
  const set: PluginSet = { enabled: [], disabled: [] };
  if (value === null || value === undefined) return set;
  if (!isRecord(value)) fail(path, "must be an object with enabled and disabled lists");
  onlyKeys(value, ["enabled", "disabled"], path);
  for (const which of ["enabled", "disabled"] as const) {
    const list = value[which];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) fail(`${path}.${which}`, "must be a list");
    list.forEach((entry, i) => {
      const at = `${path}.${which}[${i}]`;
      if (!isRecord(entry)) fail(at, "must be an object with a name");
      onlyKeys(entry, ["name", "weight"], at);
      const name = entry.name;
      if (typeof name !== "string" || name === "") fail(`${at}.name`, "must be a plugin name");
      const known = IMPLEMENTED_PLUGINS.includes(name) || NO_OP_PLUGINS.includes(name);
      if (!known && !(which === "disabled" && name === "*")) {
        fail(`${at}.name`, `plugin "${name}" does not exist`);
      }
      const ref: PluginRef = { name };
      if (entry.weight !== undefined)
        ref.weight = wholeNumber(entry.weight, `${at}.weight`, 0, 100);
      set[which].push(ref);
    });
  }
  return set;
}

const stringList = (value: unknown, path: string): string[] => {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    fail(path, "must be a list of strings");
  }
  return value as string[];
};

function resourceSpecs(value: unknown, path: string): { name: string; weight: number }[] {
  if (!Array.isArray(value)) fail(path, "must be a list");
  return value.map((entry, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(entry) || typeof entry.name !== "string") fail(at, "must have a name");
    onlyKeys(entry, ["name", "weight"], at);
    return { name: entry.name, weight: wholeNumber(entry.weight ?? 1, `${at}.weight`, 1, 100) };
  });
}

/** Arguments of the plugins that take any, checked and normalised. */
function parsePluginArgs(
  name: string,
  args: Record<string, unknown>,
  path: string,
): Record<string, unknown> {
  // Decoders put apiVersion/kind on args; they carry nothing.
  const { apiVersion: _apiVersion, kind: _kind, ...fields } = args;
  switch (name) {
    case "NodeResourcesFit": {
      onlyKeys(fields, ["ignoredResources", "ignoredResourceGroups", "scoringStrategy"], path);
      const out: Record<string, unknown> = {};
      if (fields.ignoredResources !== undefined) {
        out.ignoredResources = stringList(fields.ignoredResources, `${path}.ignoredResources`);
      }
      if (fields.ignoredResourceGroups !== undefined) {
        out.ignoredResourceGroups = stringList(
          fields.ignoredResourceGroups,
          `${path}.ignoredResourceGroups`,
        );
      }
      if (fields.scoringStrategy !== undefined) {
        const strategy = fields.scoringStrategy;
        const at = `${path}.scoringStrategy`;
        if (!isRecord(strategy)) fail(at, "must be an object");
        onlyKeys(strategy, ["type", "resources", "requestedToCapacityRatio"], at);
        const type = strategy.type ?? "LeastAllocated";
        if (
          !["LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"].includes(type as string)
        ) {
          fail(
            `${at}.type`,
            `must be LeastAllocated, MostAllocated or RequestedToCapacityRatio, not ${JSON.stringify(type)}`,
          );
        }
        const parsed: Record<string, unknown> = { type };
        if (strategy.resources !== undefined) {
          parsed.resources = resourceSpecs(strategy.resources, `${at}.resources`);
        }
        if (type === "RequestedToCapacityRatio") {
          const ratio = strategy.requestedToCapacityRatio;
          const shape = isRecord(ratio) ? ratio.shape : undefined;
          if (!Array.isArray(shape) || shape.length === 0) {
            fail(`${at}.requestedToCapacityRatio.shape`, "must be a non-empty list");
          }
          let last = -1;
          parsed.requestedToCapacityRatio = {
            shape: shape.map((point, i) => {
              const p = `${at}.requestedToCapacityRatio.shape[${i}]`;
              if (!isRecord(point)) fail(p, "must be an object");
              const utilization = wholeNumber(point.utilization, `${p}.utilization`, 0, 100);
              if (utilization <= last) fail(`${p}.utilization`, "must be increasing");
              last = utilization;
              return { utilization, score: wholeNumber(point.score, `${p}.score`, 0, 10) };
            }),
          };
        }
        out.scoringStrategy = parsed;
      }
      return out;
    }
    case "NodeResourcesBalancedAllocation":
      onlyKeys(fields, ["resources"], path);
      return fields.resources === undefined
        ? {}
        : { resources: resourceSpecs(fields.resources, `${path}.resources`) };
    case "PodTopologySpread": {
      onlyKeys(fields, ["defaultConstraints", "defaultingType"], path);
      const defaultingType = fields.defaultingType ?? "System";
      if (defaultingType !== "System" && defaultingType !== "List") {
        fail(
          `${path}.defaultingType`,
          `must be System or List, not ${JSON.stringify(defaultingType)}`,
        );
      }
      const constraints = fields.defaultConstraints ?? [];
      if (!Array.isArray(constraints)) fail(`${path}.defaultConstraints`, "must be a list");
      if (defaultingType === "System" && constraints.length > 0) {
        fail(`${path}.defaultConstraints`, 'must be empty when defaultingType is "System"');
      }
      const keys = new Set<string>();
      const parsed = constraints.map((c, i) => {
        const at = `${path}.defaultConstraints[${i}]`;
        if (!isRecord(c)) fail(at, "must be an object");
        onlyKeys(c, ["maxSkew", "topologyKey", "whenUnsatisfiable"], at);
        if (typeof c.topologyKey !== "string" || c.topologyKey === "") {
          fail(`${at}.topologyKey`, "must be a label key");
        }
        if (c.whenUnsatisfiable !== "DoNotSchedule" && c.whenUnsatisfiable !== "ScheduleAnyway") {
          fail(`${at}.whenUnsatisfiable`, "must be DoNotSchedule or ScheduleAnyway");
        }
        const pair = `${c.topologyKey}/${c.whenUnsatisfiable}`;
        if (keys.has(pair)) fail(at, "duplicate topologyKey and whenUnsatisfiable");
        keys.add(pair);
        return {
          maxSkew: wholeNumber(c.maxSkew, `${at}.maxSkew`, 1),
          topologyKey: c.topologyKey,
          whenUnsatisfiable: c.whenUnsatisfiable,
        };
      });
      return { defaultingType, defaultConstraints: parsed };
    }
    case "InterPodAffinity":
      onlyKeys(fields, ["hardPodAffinityWeight", "ignorePreferredTermsOfExistingPods"], path);
      if (fields.ignorePreferredTermsOfExistingPods) {
        fail(`${path}.ignorePreferredTermsOfExistingPods`, "is not supported");
      }
      return fields.hardPodAffinityWeight === undefined
        ? {}
        : {
            hardPodAffinityWeight: wholeNumber(
              fields.hardPodAffinityWeight,
              `${path}.hardPodAffinityWeight`,
              0,
              100,
            ),
          };
    case "DefaultPreemption": {
      onlyKeys(fields, ["minCandidateNodesPercentage", "minCandidateNodesAbsolute"], path);
      const out: Record<string, unknown> = {};
      if (fields.minCandidateNodesPercentage !== undefined) {
        out.minCandidateNodesPercentage = wholeNumber(
          fields.minCandidateNodesPercentage,
          `${path}.minCandidateNodesPercentage`,
          0,
          100,
        );
      }
      if (fields.minCandidateNodesAbsolute !== undefined) {
        out.minCandidateNodesAbsolute = wholeNumber(
          fields.minCandidateNodesAbsolute,
          `${path}.minCandidateNodesAbsolute`,
          0,
        );
      }
      return out;
    }
    case "VolumeBinding":
      onlyKeys(fields, ["bindTimeoutSeconds", "shape"], path);
      return fields.bindTimeoutSeconds === undefined
        ? {}
        : {
            bindTimeoutSeconds: wholeNumber(
              fields.bindTimeoutSeconds,
              `${path}.bindTimeoutSeconds`,
              0,
            ),
          };
    default:
      if (Object.keys(fields).length > 0)
        fail(path, `arguments for plugin "${name}" are not supported`);
      return {};
  }
}
