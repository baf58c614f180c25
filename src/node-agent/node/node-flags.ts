/** The registration settings given on the command line: --node-labels and --register-with-taints. */
import { forbiddenNodeLabels } from "../../auth/node/node-labels.ts";

export type TaintEffect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

const effects: readonly string[] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

function items(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

/**
 * "k=v,k2=v2" as a map. Labels in the kubernetes.io and k8s.io namespaces other
 * than the kubelet's own are refused here, as NodeRestriction would refuse the
 * registration (node-role.kubernetes.io/… included: set it with kubectl label).
 */
export function parseNodeLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const item of items(text)) {
    const equals = item.indexOf("=");
    if (equals <= 0) throw new Error(`--node-labels: "${item}" is not key=value`);
    labels[item.slice(0, equals)] = item.slice(equals + 1);
  }
  const forbidden = forbiddenNodeLabels(Object.keys(labels));
  if (forbidden.length > 0) {
    throw new Error(
      `--node-labels: a node may not set ${forbidden.join(", ")} on itself (kubernetes.io and k8s.io labels other than the kubelet's own); set them with kubectl label`,
    );
  }
  return labels;
}

/** "key=value:Effect,key:Effect" (kubelet's --register-with-taints). */
export function parseTaints(text: string): Taint[] {
  return items(text).map((item) => {
    const colon = item.lastIndexOf(":");
    const effect = colon < 0 ? "" : item.slice(colon + 1);
    if (!effects.includes(effect)) {
      throw new Error(
        `--register-with-taints: "${item}" must end in :NoSchedule, :PreferNoSchedule or :NoExecute`,
      );
    }
    const keyValue = item.slice(0, colon);
    const equals = keyValue.indexOf("=");
    const key = equals < 0 ? keyValue : keyValue.slice(0, equals);
    if (key === "") throw new Error(`--register-with-taints: "${item}" has no key`);
    return equals < 0
      ? { key, effect: effect as TaintEffect }
      : { key, value: keyValue.slice(equals + 1), effect: effect as TaintEffect };
  });
}
