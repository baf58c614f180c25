/**
 * Upstream helper.DefaultNormalizeScore: scales scores so the highest becomes
 * MAX_NODE_SCORE (integer arithmetic, as upstream's int64); `reverse` flips them so the
 * lowest count wins. All zero stays zero (or becomes MAX_NODE_SCORE when reversed).
 */
import { MAX_NODE_SCORE } from "../framework.ts";

export function defaultNormalizeScore(scores: Float64Array, reverse: boolean): void {
  let max = 0;
  for (const score of scores) if (score > max) max = score;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const scaled = Math.trunc((MAX_NODE_SCORE * (scores[i] as number)) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
}
