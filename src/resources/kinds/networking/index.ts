import type { KindDefinition } from "../../kind.ts";
import { ingressKind } from "./ingress.ts";
import { ingressClassKind } from "./ingress-class.ts";
import { networkPolicyKind } from "./network-policy.ts";

export const networkingKinds: readonly KindDefinition[] = [
  ingressKind,
  ingressClassKind,
  networkPolicyKind,
];
