import { describe, expect, test } from "bun:test";
import {
  ControllerLoop,
  IgnorableError,
  isResync,
  PermanentError,
} from "../../src/controllers/controller.ts";
import { RecordingLogger } from "./fake-client.ts";

function loopWith(sync: (key: string) => Promise<void>) {
  const log = new RecordingLogger();
  return { log, loop: new ControllerLoop({ log, sync }) };
}

describe("ControllerLoop", () => {
  test("retries a failing key with back-off until it succeeds, then forgets it", async () => {
    let calls = 0;
    const { log, loop } = loopWith(async () => {
      calls++;
      if (calls < 3) throw new Error("boom");
    });
    loop.enqueue("a");
    loop.start();
    while (calls < 3) await Bun.sleep(5);
    await loop.stop();
    expect(calls).toBe(3);
    expect(loop.queue.numRequeues("a")).toBe(0);
    expect(log.lines.filter((l) => l.startsWith("warn"))).toHaveLength(2);
  });

  test("drops a key whose error is permanent", async () => {
    let calls = 0;
    const { log, loop } = loopWith(async () => {
      calls++;
      throw new PermanentError("never");
    });
    loop.enqueue("a");
    expect(await loop.processNext()).toBe(true);
    await Bun.sleep(30);
    expect(loop.queue.length).toBe(0);
    expect(calls).toBe(1);
    expect(log.lines).toEqual(["warn dropping key that cannot succeed"]);
    await loop.stop();
  });

  test("retries an ignorable error but logs it at debug", async () => {
    const { log, loop } = loopWith(async () => {
      throw new IgnorableError("not yet");
    });
    loop.enqueue("a");
    await loop.processNext();
    expect(await loop.queue.get()).toBe("a");
    expect(log.lines).toEqual(["debug sync will be retried"]);
    await loop.stop();
  });

  test("stop drops queued keys and waits for the sync in flight", async () => {
    const synced: string[] = [];
    let release = () => {};
    const { loop } = loopWith(async (key) => {
      if (key === "a") {
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      synced.push(key);
    });
    loop.enqueue("a");
    loop.enqueue("b");
    loop.start();
    await Bun.sleep(0);
    const stopped = loop.stop();
    release();
    await stopped;
    expect(synced).toEqual(["a"]);
  });
});

describe("isResync", () => {
  test("is true only for the same resourceVersion", () => {
    const at = (resourceVersion: string) => ({ metadata: { resourceVersion } });
    expect(isResync(at("1"), at("1"))).toBe(true);
    expect(isResync(at("1"), at("2"))).toBe(false);
  });
});
