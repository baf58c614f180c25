/**
 * persistentVolumeClaim volumes: the claim must be Bound to a PersistentVolume
 * that points back at it; the volume is then the PV's hostPath or local path
 * on this node (the only PV sources a node without storage drivers can use).
 */
import { stat } from "node:fs/promises";
import type { ResourceClient } from "../../client/api-client.ts";
import { resourcePath } from "../../client/resource-path.ts";
import type { KubeObject } from "../../resources/kind.ts";
import { setUpHostPath } from "./host-path.ts";
import type { HostPathSource } from "./volume-types.ts";

interface ClaimObject extends KubeObject {
  spec?: { volumeName?: string };
  status?: { phase?: string };
}

interface VolumeObject extends KubeObject {
  spec?: {
    claimRef?: { uid?: string; name?: string; namespace?: string };
    hostPath?: HostPathSource;
    local?: { path?: string };
  };
}

export async function setUpClaim(
  client: ResourceClient,
  namespace: string,
  claimName: string,
): Promise<string> {
  let claim: ClaimObject;
  try {
    claim = await client.get<ClaimObject>(
      resourcePath({
        version: "v1",
        resource: "persistentvolumeclaims",
        namespace,
        name: claimName,
      }),
    );
  } catch (error) {
    throw new Error(
      `failed to fetch PVC ${namespace}/${claimName} from API server: ${(error as Error).message}`,
    );
  }
  if (claim.metadata?.deletionTimestamp) {
    throw new Error(`can't start pod because PVC ${namespace}/${claimName} is being deleted`);
  }
  const phase = claim.status?.phase ?? "";
  const volumeName = claim.spec?.volumeName ?? "";
  if (phase !== "Bound" || volumeName === "") {
    throw new Error(
      `PVC ${namespace}/${claimName} has non-bound phase ("${phase}") or empty pvc.Spec.VolumeName ("${volumeName}")`,
    );
  }
  let volume: VolumeObject;
  try {
    volume = await client.get<VolumeObject>(
      resourcePath({ version: "v1", resource: "persistentvolumes", name: volumeName }),
    );
  } catch (error) {
    throw new Error(
      `failed to fetch PV "${volumeName}" from API server: ${(error as Error).message}`,
    );
  }
  const claimRef = volume.spec?.claimRef;
  if (!claimRef) {
    throw new Error(
      `found PV object "${volumeName}" but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim`,
    );
  }
  const claimUid = claim.metadata?.uid ?? "";
  if (claimRef.uid !== claimUid) {
    throw new Error(
      `found PV object "${volumeName}" but its pv.Spec.ClaimRef.UID ("${claimRef.uid ?? ""}") does not point to claim.UID ("${claimUid}")`,
    );
  }
  const hostPath = volume.spec?.hostPath;
  if (hostPath?.path) return setUpHostPath(hostPath);
  const local = volume.spec?.local?.path;
  if (local) {
    // A local volume is a disk or directory that must already be there.
    const exists = await stat(local).catch(() => null);
    if (!exists) throw new Error(`local volume path "${local}" does not exist on this node`);
    return local;
  }
  throw new Error(
    `PV "${volumeName}" is neither hostPath nor local: its volume type is not supported by this node`,
  );
}
