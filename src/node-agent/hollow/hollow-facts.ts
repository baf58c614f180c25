import { randomBytes, randomUUID } from "node:crypto";
import { release } from "node:os";
import type { NodeFacts } from "../node/node-facts.ts";

const GiB = 1024 ** 3;
// One boot for every hollow node of this process, as they all "booted" with it.
const bootID = randomUUID();

/** A hollow node's machine: fixed capacity, no pressure, ids of its own. */
export function hollowFacts(capacity: { cpuCores: number; memoryBytes: number }): NodeFacts {
  const storage = 100 * GiB;
  return {
    capacity: { ...capacity, ephemeralStorageBytes: storage },
    systemInfo: {
      machineID: randomBytes(16).toString("hex"),
      systemUUID: randomUUID(),
      bootID,
      kernelVersion: release(),
      osImage: "kubun hollow node",
      operatingSystem: "linux",
      architecture: "amd64",
    },
    observed: {
      memoryAvailableBytes: capacity.memoryBytes,
      diskAvailableBytes: storage,
      diskCapacityBytes: storage,
    },
  };
}

export const defaultHollowCapacity = { cpuCores: 4, memoryBytes: 16 * GiB };
