/**
 * DefaultTolerationSeconds admission (upstream plugin/pkg/admission/
 * defaulttolerationseconds): pods tolerate a not-ready or unreachable node for five
 * minutes before being evicted from it, unless they say otherwise.
 */
import {
  ensureRecord,
  type JsonRecord,
  recordList,
  stringOf,
} from "../../resources/kinds/core/json-value.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";
import { isMainResource, PODS } from "./admission-support.ts";

export const TAINT_NODE_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_NODE_UNREACHABLE = "node.kubernetes.io/unreachable";
export const DEFAULT_TOLERATION_SECONDS = 300;

/** Upstream's plugin configuration: the seconds for each of the two tolerations. */
export interface DefaultTolerationSecondsOptions {
  notReadySeconds?: number;
  unreachableSeconds?: number;
}

export class DefaultTolerationSeconds implements AdmissionPlugin {
  readonly name = "DefaultTolerationSeconds";
  private readonly seconds: Readonly<Record<string, number>>;

  constructor(options: DefaultTolerationSecondsOptions = {}) {
    this.seconds = {
      [TAINT_NODE_NOT_READY]: options.notReadySeconds ?? DEFAULT_TOLERATION_SECONDS,
      [TAINT_NODE_UNREACHABLE]: options.unreachableSeconds ?? DEFAULT_TOLERATION_SECONDS,
    };
  }

  /** Creates and updates both, as upstream: an update that drops them gets them back. */
  async mutate(request: AdmissionRequest): Promise<void> {
    if (request.operation === "DELETE" || !isMainResource(request, PODS)) return;
    const spec = ensureRecord(request.object, "spec");
    const tolerations = recordList(spec.tolerations);
    const added: JsonRecord[] = [];
    for (const key of [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]) {
      if (tolerations.some((t) => toleratesNoExecute(t, key))) continue;
      added.push({
        key,
        operator: "Exists",
        effect: "NoExecute",
        tolerationSeconds: this.seconds[key],
      });
    }
    const current = Array.isArray(spec.tolerations) ? spec.tolerations : [];
    if (added.length > 0) spec.tolerations = [...current, ...added];
  }
}

/** An empty key tolerates every taint, an empty effect every effect. */
function toleratesNoExecute(toleration: JsonRecord, key: string): boolean {
  const tKey = stringOf(toleration.key);
  const effect = stringOf(toleration.effect);
  return (tKey === key || tKey === "") && (effect === "NoExecute" || effect === "");
}
