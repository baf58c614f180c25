import type { KindDefinition } from "../../kind.ts";
import { cronJobKind } from "./cron-job.ts";
import { jobKind } from "./job.ts";

export const batchKinds: readonly KindDefinition[] = [jobKind, cronJobKind];
