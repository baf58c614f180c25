/**
 * Which printer prints which resource. Built-in resources are listed here by family;
 * every other resource (roles, limit ranges, anything served without a printer) falls
 * back to the default NAME / CREATED AT table, as upstream's API server does.
 */
import { admissionPrinters } from "./admission-printers.ts";
import { certificatePrinters } from "./certificate-printers.ts";
import { configPrinters } from "./config-printers.ts";
import { coordinationPrinters } from "./coordination-printers.ts";
import { defaultPrinter } from "./default-printer.ts";
import { endpointPrinters } from "./endpoint-printers.ts";
import { eventPrinters } from "./event-printers.ts";
import { jobPrinters } from "./job-printers.ts";
import { namespacePrinters } from "./namespace-printers.ts";
import { networkingPrinters } from "./networking-printers.ts";
import { nodePrinters } from "./node-printers.ts";
import { podPrinters } from "./pod-printers.ts";
import { policyPrinters } from "./policy-printers.ts";
import { rbacPrinters } from "./rbac-printers.ts";
import type { PrinterSet, ResourcePrinter } from "./resource-printer.ts";
import { servicePrinters } from "./service-printers.ts";
import { storagePrinters } from "./storage-printers.ts";
import { workloadPrinters } from "./workload-printers.ts";

const families: readonly PrinterSet[] = [
  podPrinters,
  servicePrinters,
  endpointPrinters,
  configPrinters,
  namespacePrinters,
  nodePrinters,
  eventPrinters,
  storagePrinters,
  workloadPrinters,
  jobPrinters,
  networkingPrinters,
  rbacPrinters,
  certificatePrinters,
  coordinationPrinters,
  policyPrinters,
  admissionPrinters,
];

function index(sets: readonly PrinterSet[]): ReadonlyMap<string, ResourcePrinter> {
  const printers = new Map<string, ResourcePrinter>();
  for (const set of sets) {
    for (const [key, printer] of Object.entries(set)) {
      // Two families claiming one resource is a wiring mistake; fail at start-up.
      if (printers.has(key)) throw new Error(`two table printers registered for ${key}`);
      printers.set(key, printer);
    }
  }
  return printers;
}

const printers = index(families);

/** upstream GroupResource.String(): "pods", "deployments.apps". */
export function groupResource(group: string, resource: string): string {
  return group === "" ? resource : `${resource}.${group}`;
}

/** The printer of a resource, or the default printer when it has none. */
export function printerFor(group: string, resource: string): ResourcePrinter {
  return printers.get(groupResource(group, resource)) ?? defaultPrinter;
}

/** The resources with a printer of their own ("pods", "deployments.apps", …). */
export function printedResources(): string[] {
  return [...printers.keys()];
}
