/**
 * Adoption for the DaemonSet and StatefulSet controllers: orphaned pods and
 * ControllerRevisions their selector matches become theirs, and what they control but
 * no longer match is released (upstream's ClaimPods and ClaimControllerRevisions).
 */
import type { KubeObject } from "../resources/kind.ts";
import {
  labelSelectorAsSelector,
  type MetaV1LabelSelector,
} from "../resources/labels/label-selector.ts";
import type { ControllerClient } from "./controller.ts";
import { claimObjects } from "./controller-ref-manager.ts";

export interface AdoptionOptions {
  client: ControllerClient;
  /** The controller, with apiVersion and kind set. */
  owner: KubeObject;
  ownerPath: string;
  candidates: readonly KubeObject[];
  pathOf(object: KubeObject): string;
}

/** Adopts and releases; resolves to the candidates the owner controls afterwards. */
export async function adoptAndRelease(options: AdoptionOptions): Promise<KubeObject[]> {
  const { client, owner } = options;
  const selector = (owner.spec as { selector?: MetaV1LabelSelector } | undefined)?.selector;
  return claimObjects(options.candidates, {
    owner,
    selector: labelSelectorAsSelector(selector),
    // Adopting for an owner that is already gone would hand the pods to a dead controller.
    recheckOwner: async () => {
      const fresh = await client.get(options.ownerPath);
      if (fresh.metadata?.uid !== owner.metadata?.uid || fresh.metadata?.deletionTimestamp) {
        throw new Error(`${owner.kind} ${owner.metadata?.name} is gone or being deleted`);
      }
    },
    patch: async (object, patch) => {
      await client.patch(options.pathOf(object), patch, "strategic");
    },
  });
}
