/**
 * Polls `check` until it returns a value other than undefined, for at most
 * `timeoutMs`; a check that throws is retried, and its last error explains a
 * timeout. For what happens in the background (controllers, agents).
 */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    }
    await Bun.sleep(intervalMs);
  }
}
