import { describe, expect, test } from "bun:test";
import { ConcurrencyLimit } from "../../src/scheduler/concurrency-limit.ts";

describe("ConcurrencyLimit", () => {
  test("runs at most `limit` tasks at once, the others in order as slots free up", async () => {
    const limit = new ConcurrencyLimit(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates = Array.from({ length: 5 }, () => Promise.withResolvers<void>());
    const tasks = gates.map((gate, i) =>
      limit.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await gate.promise;
        running--;
        return i;
      }),
    );
    await Bun.sleep(0);
    expect(order).toEqual([0, 1]);
    gates[1]?.resolve();
    await Bun.sleep(0);
    expect(order).toEqual([0, 1, 2]);
    for (const gate of gates) gate.resolve();
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
  });

  test("a failing task frees its slot", async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await limit.run(async () => "next")).toBe("next");
  });
});
