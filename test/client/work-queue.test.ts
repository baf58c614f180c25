import { describe, expect, test } from "bun:test";
import { WorkQueue } from "../../src/client/work-queue.ts";

describe("WorkQueue", () => {
  test("hands items out in the order they were added", async () => {
    const queue = new WorkQueue<string>();
    for (const key of ["a", "b", "c"]) queue.add(key);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual(["a", "b", "c"]);
  });

  test("deduplicates an item added again while it is pending", async () => {
    const queue = new WorkQueue<string>();
    queue.add("a");
    queue.add("b");
    queue.add("a");
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe("a");
    expect(await queue.get()).toBe("b");
    expect(queue.length).toBe(0);
  });

  test("never hands one item to two workers at once", async () => {
    const queue = new WorkQueue<string>();
    queue.add("a");
    const first = await queue.get();
    queue.add("a");
    let secondTaken = false;
    const second = queue.get().then((item) => {
      secondTaken = true;
      return item;
    });
    await Promise.resolve();
    expect(secondTaken).toBe(false);
    expect(queue.length).toBe(0);
    queue.done(first as string);
    expect(await second).toBe("a");
  });

  test("queues an item again when it was added while being processed", async () => {
    const queue = new WorkQueue<string>();
    queue.add("a");
    const item = (await queue.get()) as string;
    queue.add("a");
    queue.add("a");
    queue.done(item);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe("a");
    queue.done("a");
    expect(queue.length).toBe(0);
  });

  test("serves waiting workers in the order they asked", async () => {
    const queue = new WorkQueue<string>();
    const first = queue.get();
    const second = queue.get();
    queue.add("x");
    queue.add("y");
    expect(await first).toBe("x");
    expect(await second).toBe("y");
  });

  test("after shutdown, refuses new items and releases idle workers", async () => {
    const queue = new WorkQueue<string>();
    const waiting = queue.get();
    queue.shutDown();
    queue.add("late");
    expect(await waiting).toBeUndefined();
    expect(await queue.get()).toBeUndefined();
  });

  test("shutDownWithDrain lets workers finish queued and in-flight items", async () => {
    const queue = new WorkQueue<string>();
    queue.add("a");
    queue.add("b");
    const inFlight = (await queue.get()) as string;
    queue.add("a");
    let drained = false;
    const draining = queue.shutDownWithDrain().then(() => {
      drained = true;
    });
    const processed: string[] = [];
    let sawB: () => void = () => {};
    const bProcessed = new Promise<void>((resolve) => {
      sawB = resolve;
    });
    const worker = (async () => {
      for (let item = await queue.get(); item !== undefined; item = await queue.get()) {
        processed.push(item);
        queue.done(item);
        if (item === "b") sawB();
      }
    })();
    await bProcessed;
    expect(processed).toEqual(["b"]);
    expect(drained).toBe(false);
    queue.done(inFlight);
    await draining;
    await worker;
    expect(processed).toEqual(["b", "a"]);
  });
});
