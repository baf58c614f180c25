import type { KindDefinition } from "../../kind.ts";
import { horizontalPodAutoscalerKind } from "./horizontal-pod-autoscaler.ts";

export const autoscalingKinds: readonly KindDefinition[] = [horizontalPodAutoscalerKind];
