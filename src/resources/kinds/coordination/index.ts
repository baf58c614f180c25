import type { KindDefinition } from "../../kind.ts";
import { leaseKind } from "./lease.ts";

export const coordinationKinds: readonly KindDefinition[] = [leaseKind];
