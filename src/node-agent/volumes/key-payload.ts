/**
 * The files of a configMap or secret volume (or projection): every key under
 * its own name, or only the listed `items` under their paths and modes.
 */
import type { Payload } from "./atomic-writer.ts";
import type { KeyToPath } from "./volume-types.ts";

/**
 * `kind` words the missing-key error as the kubelet does:
 * `configmap references non-existent config key: k` and
 * `references non-existent secret key: k`.
 */
export function keyPayload(
  contents: ReadonlyMap<string, Uint8Array>,
  items: readonly KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  kind: "configmap" | "secret",
): Payload {
  const payload: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [key, data] of contents) payload.set(key, { data, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const data = contents.get(item.key);
    if (data === undefined) {
      if (optional) continue;
      throw new Error(
        kind === "configmap"
          ? `configmap references non-existent config key: ${item.key}`
          : `references non-existent secret key: ${item.key}`,
      );
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return payload;
}
