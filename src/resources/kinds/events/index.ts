import type { KindDefinition } from "../../kind.ts";
import { eventsEventKind } from "./event.ts";

export const eventsKinds: readonly KindDefinition[] = [eventsEventKind];
