/**
 * The kinds of every named API group (`/apis/<group>/<version>`), group by group.
 */
import type { KindDefinition } from "../kind.ts";
import { appsKinds } from "./apps/index.ts";
import { authenticationKinds } from "./authentication/index.ts";
import { authorizationKinds } from "./authorization/index.ts";
import { autoscalingKinds } from "./autoscaling/index.ts";
import { batchKinds } from "./batch/index.ts";
import { certificatesKinds } from "./certificates/index.ts";
import { coordinationKinds } from "./coordination/index.ts";
import { discoveryKinds } from "./discovery/index.ts";
import { eventsKinds } from "./events/index.ts";
import { networkingKinds } from "./networking/index.ts";
import { policyKinds } from "./policy/index.ts";
import { rbacKinds } from "./rbac/index.ts";
import { schedulingKinds } from "./scheduling/index.ts";
import { storageKinds } from "./storage/index.ts";

export const groupKinds: readonly KindDefinition[] = [
  ...appsKinds,
  ...batchKinds,
  ...coordinationKinds,
  ...discoveryKinds,
  ...eventsKinds,
  ...networkingKinds,
  ...rbacKinds,
  ...certificatesKinds,
  ...schedulingKinds,
  ...policyKinds,
  ...storageKinds,
  ...autoscalingKinds,
  ...authenticationKinds,
  ...authorizationKinds,
];
