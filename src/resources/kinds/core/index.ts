/**
 * The core (legacy, `/api/v1`) kinds, in the order discovery lists them.
 */
import type { KindDefinition } from "../../kind.ts";
import { bindingKind } from "./binding.ts";
import { configMapKind } from "./config-map.ts";
import { endpointsKind } from "./endpoints.ts";
import { eventKind } from "./event.ts";
import { limitRangeKind } from "./limit-range.ts";
import { namespaceKind } from "./namespace.ts";
import { nodeKind } from "./node.ts";
import { persistentVolumeKind } from "./persistent-volume.ts";
import { persistentVolumeClaimKind } from "./persistent-volume-claim.ts";
import { podKind } from "./pod.ts";
import { podTemplateKind } from "./pod-template.ts";
import { replicationControllerKind } from "./replication-controller.ts";
import { resourceQuotaKind } from "./resource-quota.ts";
import { secretKind } from "./secret.ts";
import { serviceKind } from "./service.ts";
import { serviceAccountKind } from "./service-account.ts";

export const coreKinds: readonly KindDefinition[] = [
  bindingKind,
  configMapKind,
  endpointsKind,
  eventKind,
  limitRangeKind,
  namespaceKind,
  nodeKind,
  persistentVolumeClaimKind,
  persistentVolumeKind,
  podKind,
  podTemplateKind,
  replicationControllerKind,
  resourceQuotaKind,
  secretKind,
  serviceAccountKind,
  serviceKind,
];
