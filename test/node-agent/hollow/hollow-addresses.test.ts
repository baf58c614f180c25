import { describe, expect, test } from "bun:test";
import {
  hollowNodeIp,
  hollowPodCidr,
  MAX_HOLLOW_NODES,
  PodIpAllocator,
} from "../../../src/node-agent/hollow/hollow-addresses.ts";

describe("hollow addresses", () => {
  test("each node has its own InternalIP and pod /24", () => {
    expect(hollowNodeIp(0)).toBe("100.64.0.1");
    expect(hollowNodeIp(255)).toBe("100.64.1.0");
    expect(hollowNodeIp(999)).toBe("100.64.3.232");
    expect(hollowPodCidr(0)).toBe("10.64.0.0/24");
    expect(hollowPodCidr(300)).toBe("10.65.44.0/24");
    expect(hollowPodCidr(MAX_HOLLOW_NODES - 1)).toBe("10.127.255.0/24");
    expect(() => hollowPodCidr(MAX_HOLLOW_NODES)).toThrow("outside");
  });

  test("pod IPs are handed out, kept per pod, and reused after release", () => {
    const ips = new PodIpAllocator(3);
    expect(ips.allocate("a")).toBe("10.64.3.2");
    expect(ips.allocate("b")).toBe("10.64.3.3");
    expect(ips.allocate("a")).toBe("10.64.3.2");
    ips.release("a");
    expect(ips.allocate("c")).toBe("10.64.3.2");
    expect(ips.size).toBe(2);
  });

  test("the range runs out after 253 pods", () => {
    const ips = new PodIpAllocator(0);
    for (let i = 0; i < 253; i++) ips.allocate(`p${i}`);
    expect(() => ips.allocate("one-more")).toThrow("no pod IP left in 10.64.0.0/24");
  });

  test("IPs found in use after a restart are adopted, not handed out twice", () => {
    const ips = new PodIpAllocator(1);
    expect(ips.adopt("old", "10.64.1.4")).toBe(true);
    expect(ips.adopt("other", "10.64.1.4")).toBe(false);
    expect(ips.adopt("foreign", "10.64.2.4")).toBe(false);
    const given = ["a", "b", "c"].map((uid) => ips.allocate(uid));
    expect(given).toEqual(["10.64.1.2", "10.64.1.3", "10.64.1.5"]);
    expect(ips.uids().sort()).toEqual(["a", "b", "c", "old"]);
  });
});
