import { describe, expect, test } from "bun:test";
import { ItemExponentialBackoff, RateLimitingQueue } from "../../src/client/rate-limiting-queue.ts";

describe("ItemExponentialBackoff", () => {
  test("doubles each item's delay from 5 ms and caps it at 1000 s", () => {
    const limiter = new ItemExponentialBackoff<string>();
    const delays = Array.from({ length: 6 }, () => limiter.when("a"));
    expect(delays).toEqual([5, 10, 20, 40, 80, 160]);
    for (let i = 0; i < 40; i++) limiter.when("a");
    expect(limiter.when("a")).toBe(1_000_000);
    expect(limiter.when("b")).toBe(5);
  });

  test("forget starts an item's back-off over", () => {
    const limiter = new ItemExponentialBackoff<string>();
    limiter.when("a");
    limiter.when("a");
    expect(limiter.numRequeues("a")).toBe(2);
    limiter.forget("a");
    expect(limiter.numRequeues("a")).toBe(0);
    expect(limiter.when("a")).toBe(5);
  });
});

describe("RateLimitingQueue", () => {
  test("addRateLimited brings the item back and counts the requeues", async () => {
    const queue = new RateLimitingQueue<string>();
    queue.add("a");
    for (let attempt = 1; attempt <= 3; attempt++) {
      const item = (await queue.get()) as string;
      queue.addRateLimited(item);
      queue.done(item);
      expect(queue.numRequeues("a")).toBe(attempt);
    }
    expect(await queue.get()).toBe("a");
    queue.forget("a");
    queue.done("a");
    expect(queue.numRequeues("a")).toBe(0);
  });

  test("addAfter adds the item once its delay has passed", async () => {
    const queue = new RateLimitingQueue<string>();
    queue.addAfter("later", 1);
    queue.add("now");
    expect(await queue.get()).toBe("now");
    expect(await queue.get()).toBe("later");
  });

  test("shutdown drops delayed adds", async () => {
    const queue = new RateLimitingQueue<string>();
    queue.addAfter("later", 60_000);
    await queue.shutDownWithDrain();
    expect(await queue.get()).toBeUndefined();
  });
});
