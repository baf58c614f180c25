import type { KubeObject } from "../../resources/kind.ts";
import { recordOf, stringOf } from "../../resources/kinds/core/json-value.ts";
import type { ObjectName } from "./graph.ts";

/** Volume sources whose `secretRef` is a SecretReference ({name, namespace}). */
const secretRefSources = [
  "cephfs",
  "cinder",
  "flexVolume",
  "iscsi",
  "rbd",
  "scaleIO",
  "storageos",
] as const;

const csiSecretRefs = [
  "controllerPublishSecretRef",
  "nodeStageSecretRef",
  "nodePublishSecretRef",
  "controllerExpandSecretRef",
  "nodeExpandSecretRef",
] as const;

/**
 * The secrets a persistent volume names (what the kubelet needs to attach and
 * mount it). References without a namespace resolve in the bound claim's
 * namespace, `claimNamespace`, as upstream does.
 */
export function persistentVolumeSecrets(pv: KubeObject, claimNamespace: string): ObjectName[] {
  const spec = recordOf(pv.spec) ?? {};
  const found: ObjectName[] = [];
  const add = (name: string, namespace: string) => {
    if (name) found.push({ namespace: namespace || claimNamespace, name });
  };
  for (const source of secretRefSources) {
    const ref = recordOf(recordOf(spec[source])?.secretRef);
    add(stringOf(ref?.name), stringOf(ref?.namespace));
  }
  const azureFile = recordOf(spec.azureFile);
  add(stringOf(azureFile?.secretName), stringOf(azureFile?.secretNamespace));
  const csi = recordOf(spec.csi);
  for (const field of csiSecretRefs) {
    const ref = recordOf(csi?.[field]);
    add(stringOf(ref?.name), stringOf(ref?.namespace));
  }
  return found;
}
