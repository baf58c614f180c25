/** What a Node's status is built from; a host or a hollow node provides it. */

export interface NodeCapacity {
  cpuCores: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
}

/** The Node's status.nodeInfo, except the versions the agent itself knows. */
export interface NodeSystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  operatingSystem: string;
  /** Go's GOARCH names: amd64, arm64, … */
  architecture: string;
}

/** Current usage, for the pressure conditions; absent values mean "unknown: no pressure". */
export interface NodeObservations {
  memoryAvailableBytes?: number;
  diskAvailableBytes?: number;
  diskCapacityBytes?: number;
  /** Process IDs still free (pid_max minus the tasks that exist). */
  pidsAvailable?: number;
  pidMax?: number;
}

export interface NodeFacts {
  capacity: NodeCapacity;
  systemInfo: NodeSystemInfo;
  observed: NodeObservations;
}

export interface NodeFactsSource {
  read(): Promise<NodeFacts>;
}

/** A source that always answers the same (hollow nodes, tests). */
export function fixedFacts(facts: NodeFacts): NodeFactsSource {
  return { read: async () => facts };
}
