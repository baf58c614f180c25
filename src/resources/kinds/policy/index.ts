import type { KindDefinition } from "../../kind.ts";
import { podDisruptionBudgetKind } from "./pod-disruption-budget.ts";

export const policyKinds: readonly KindDefinition[] = [podDisruptionBudgetKind];
