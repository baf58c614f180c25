import type { KindDefinition, KubeObject } from "../../resources/kind.ts";
import { invalid as invalidField } from "../../resources/validation/field-error.ts";
import { FieldPath } from "../../resources/validation/field-path.ts";
import { KeyExistsError } from "../../store/errors.ts";
import type { RevisionStore } from "../../store/revision-store.ts";
import { invalid } from "../errors/status-error.ts";
import type { AdmissionPlugin, AdmissionRequest } from "./admission.ts";

export interface ServiceRanges {
  /** e.g. "10.43.0.0/16" */
  serviceCidr: string;
  /** e.g. [30000, 32767] */
  nodePorts: [number, number];
}

interface ServicePort {
  port?: number;
  nodePort?: number;
  [field: string]: unknown;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
}

const ipKey = (ip: string) => `/registry/core/serviceips/${ip}`;
const portKey = (port: number) => `/registry/core/servicenodeports/${port}`;

/**
 * Hands out Service cluster IPs and node ports at create (and node ports when a
 * Service becomes NodePort or LoadBalancer). Each allocation is a key in the
 * revision store, created with compare-and-swap, so two servers never hand out
 * the same address; it is released when the Service is deleted or its write fails.
 */
export class ServiceAllocation implements AdmissionPlugin {
  readonly name = "ServiceAllocation";
  private readonly base: number;
  private readonly size: number;
  /** Keys reserved for writes still in flight, by object, to release on abort. */
  private readonly reserved = new WeakMap<KubeObject, string[]>();

  constructor(
    private readonly store: RevisionStore,
    private readonly ranges: ServiceRanges,
  ) {
    const [address, bits] = ranges.serviceCidr.split("/");
    this.base = ipToNumber(address ?? "10.43.0.0");
    this.size = 2 ** (32 - Number(bits ?? 16));
  }

  /** The first address of the range: the `kubernetes` Service's. */
  get firstAddress(): string {
    return numberToIp(this.base + 1);
  }

  async mutate(request: AdmissionRequest): Promise<void> {
    if (!isService(request.kind) || request.subresource) return;
    const spec = (request.object.spec ?? {}) as ServiceSpec;
    request.object.spec = spec;
    const keys: string[] = [];
    this.reserved.set(request.object, keys);
    const type = spec.type ?? "ClusterIP";
    const name = request.object.metadata?.name ?? "";
    if (request.operation === "CREATE" && type !== "ExternalName" && spec.clusterIP !== "None") {
      const wanted = spec.clusterIP || spec.clusterIPs?.[0];
      const ip = wanted
        ? await this.reserveIp(wanted, name, keys)
        : await this.allocateIp(name, keys);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    }
    if (type === "NodePort" || type === "LoadBalancer") {
      const old = ((request.oldObject?.spec ?? {}) as ServiceSpec).ports ?? [];
      const kept = new Set(
        old.map((p) => p.nodePort).filter((p): p is number => typeof p === "number"),
      );
      for (const [index, port] of (spec.ports ?? []).entries()) {
        if (port.nodePort && kept.has(port.nodePort)) continue;
        port.nodePort = port.nodePort
          ? await this.reservePort(port.nodePort, index, name, keys)
          : await this.allocatePort(name, keys);
      }
    }
  }

  async aborted(request: AdmissionRequest): Promise<void> {
    const keys = this.reserved.get(request.object) ?? [];
    this.reserved.delete(request.object);
    await Promise.all(keys.map((key) => this.store.delete(key).catch(() => {})));
  }

  async deleted(kind: KindDefinition, object: KubeObject): Promise<void> {
    if (!isService(kind)) return;
    const spec = (object.spec ?? {}) as ServiceSpec;
    const keys = [
      ...(spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []))
        .filter((ip) => ip !== "None")
        .map(ipKey),
      ...(spec.ports ?? []).flatMap((p) => (p.nodePort ? [portKey(p.nodePort)] : [])),
    ];
    await Promise.all(keys.map((key) => this.store.delete(key).catch(() => {})));
  }

  private async allocateIp(owner: string, keys: string[]): Promise<string> {
    // Skip the network address and the first host (reserved for `kubernetes`) and the broadcast.
    const usable = this.size - 3;
    const start = Math.floor(Math.random() * usable);
    for (let i = 0; i < usable; i++) {
      const ip = numberToIp(this.base + 2 + ((start + i) % usable));
      if (await this.tryReserve(ipKey(ip), owner, keys)) return ip;
    }
    throw invalid("Service", "", owner, [
      invalidField(
        FieldPath.root("spec").child("clusterIPs"),
        [],
        "failed to allocate IP: range is full",
      ),
    ]);
  }

  private async reserveIp(ip: string, owner: string, keys: string[]): Promise<string> {
    const value = ipToNumber(ip);
    const path = FieldPath.root("spec").child("clusterIPs");
    if (Number.isNaN(value) || value <= this.base || value >= this.base + this.size - 1) {
      throw invalid("Service", "", owner, [
        invalidField(
          path,
          [ip],
          `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.ranges.serviceCidr}`,
        ),
      ]);
    }
    if (!(await this.tryReserve(ipKey(ip), owner, keys))) {
      throw invalid("Service", "", owner, [
        invalidField(path, [ip], `failed to allocate IP ${ip}: provided IP is already allocated`),
      ]);
    }
    return ip;
  }

  private async allocatePort(owner: string, keys: string[]): Promise<number> {
    const [low, high] = this.ranges.nodePorts;
    const count = high - low + 1;
    const start = Math.floor(Math.random() * count);
    for (let i = 0; i < count; i++) {
      const port = low + ((start + i) % count);
      if (await this.tryReserve(portKey(port), owner, keys)) return port;
    }
    throw invalid("Service", "", owner, [
      invalidField(
        FieldPath.root("spec").child("ports"),
        [],
        "failed to allocate a nodePort: range is full",
      ),
    ]);
  }

  private async reservePort(
    port: number,
    index: number,
    owner: string,
    keys: string[],
  ): Promise<number> {
    const [low, high] = this.ranges.nodePorts;
    const path = FieldPath.root("spec").child("ports").index(index).child("nodePort");
    if (port < low || port > high) {
      throw invalid("Service", "", owner, [
        invalidField(
          path,
          port,
          `provided port is not in the valid range. The range of valid ports is ${low}-${high}`,
        ),
      ]);
    }
    if (!(await this.tryReserve(portKey(port), owner, keys))) {
      throw invalid("Service", "", owner, [
        invalidField(path, port, "provided port is already allocated"),
      ]);
    }
    return port;
  }

  private async tryReserve(key: string, owner: string, keys: string[]): Promise<boolean> {
    try {
      await this.store.create(key, JSON.stringify({ owner }));
      keys.push(key);
      return true;
    } catch (error) {
      if (error instanceof KeyExistsError) return false;
      throw error;
    }
  }
}

function isService(kind: KindDefinition): boolean {
  return kind.group === "" && kind.resource === "services";
}

function ipToNumber(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    return Number.NaN;
  return (
    (parts[0] as number) * 2 ** 24 +
    (parts[1] as number) * 2 ** 16 +
    (parts[2] as number) * 256 +
    (parts[3] as number)
  );
}

function numberToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}
