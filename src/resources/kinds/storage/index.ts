import type { KindDefinition } from "../../kind.ts";
import { storageClassKind } from "./storage-class.ts";

export const storageKinds: readonly KindDefinition[] = [storageClassKind];
