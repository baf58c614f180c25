import type { KindDefinition } from "../../kind.ts";
import { priorityClassKind } from "./priority-class.ts";

export const schedulingKinds: readonly KindDefinition[] = [priorityClassKind];
