import type { KindDefinition } from "../../kind.ts";
import { endpointSliceKind } from "./endpoint-slice.ts";

export const discoveryKinds: readonly KindDefinition[] = [endpointSliceKind];
