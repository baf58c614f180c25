/**
 * Resource lists (`requests`, `limits`, quota `hard`/`used`) as maps of exact quantities,
 * with the arithmetic LimitRanger and ResourceQuota share, and a pod's effective requests
 * and limits the way upstream's resource helpers compute them.
 */

import { type JsonRecord, recordList, recordOf } from "../../resources/kinds/core/json-value.ts";
import { Quantity } from "../../resources/quantity/quantity.ts";

export type ResourceList = Map<string, Quantity>;

/** The parseable entries of a JSON resource list (malformed ones are validation's to report). */
export function readResourceList(value: unknown): ResourceList {
  const list: ResourceList = new Map();
  const record = recordOf(value);
  if (!record) return list;
  for (const [name, raw] of Object.entries(record)) {
    if (typeof raw !== "string" && typeof raw !== "number") continue;
    try {
      list.set(name, Quantity.fromJSON(raw));
    } catch {
      // Skipped: an invalid quantity never reaches storage.
    }
  }
  return list;
}

/** The list as JSON, each quantity in its canonical string form. */
export function writeResourceList(list: ResourceList): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...list.keys()].sort()) out[name] = (list.get(name) as Quantity).toString();
  return out;
}

/** Adds every entry of `source` into `target`. */
export function addInto(target: ResourceList, source: ResourceList): void {
  for (const [name, quantity] of source) {
    const current = target.get(name);
    target.set(name, current ? current.add(quantity) : quantity);
  }
}

/** Raises every entry of `target` to at least the one in `source`. */
export function maxInto(target: ResourceList, source: ResourceList): void {
  for (const [name, quantity] of source) {
    const current = target.get(name);
    if (!current || quantity.cmp(current) > 0) target.set(name, quantity);
  }
}

export function sum(a: ResourceList, b: ResourceList): ResourceList {
  const out = new Map(a);
  addInto(out, b);
  return out;
}

/** `a - b` over a's keys and b's (upstream quota.Subtract). */
export function subtract(a: ResourceList, b: ResourceList): ResourceList {
  const out = new Map(a);
  for (const [name, quantity] of b) {
    const current = out.get(name) ?? Quantity.zero();
    out.set(name, current.sub(quantity));
  }
  return out;
}

/** `a - b` with negative results as zero (upstream SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out = subtract(a, b);
  for (const [name, quantity] of out) if (quantity.sign() < 0) out.set(name, Quantity.zero());
  return out;
}

/** Only the entries whose names are in `names`. */
export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = new Map();
  for (const name of names) {
    const quantity = list.get(name);
    if (quantity) out.set(name, quantity);
  }
  return out;
}

export function withoutZeros(list: ResourceList): ResourceList {
  return new Map([...list].filter(([, quantity]) => !quantity.isZero()));
}

/** Upstream's prettyPrint: `name=value` sorted by name, comma-joined. */
export function formatResourceList(list: ResourceList): string {
  return [...list.keys()]
    .sort()
    .map((name) => `${name}=${(list.get(name) as Quantity).toString()}`)
    .join(",");
}

function isRestartableInit(container: JsonRecord): boolean {
  return container.restartPolicy === "Always";
}

/**
 * A pod's effective requests or limits (upstream PodRequests/PodLimits): the sum over its
 * containers, raised to what any init container needs while it runs; sidecar (restartable)
 * init containers run alongside everything after them, so they add up.
 */
function podTotals(spec: JsonRecord, field: "requests" | "limits"): ResourceList {
  const of = (container: JsonRecord) => readResourceList(recordOf(container.resources)?.[field]);
  const totals: ResourceList = new Map();
  for (const container of recordList(spec.containers)) addInto(totals, of(container));
  const sidecars: ResourceList = new Map();
  const initPeak: ResourceList = new Map();
  for (const container of recordList(spec.initContainers)) {
    const own = of(container);
    if (isRestartableInit(container)) {
      addInto(totals, own);
      addInto(sidecars, own);
      maxInto(initPeak, sidecars);
    } else {
      maxInto(initPeak, sum(own, sidecars));
    }
  }
  maxInto(totals, initPeak);
  return totals;
}

/** The pod's requests; with `overhead`, plus spec.overhead (the RuntimeClass's cost). */
export function podRequests(spec: JsonRecord, overhead: boolean): ResourceList {
  const totals = podTotals(spec, "requests");
  if (overhead) addInto(totals, readResourceList(spec.overhead));
  return totals;
}

/** The pod's limits; with `overhead`, the overhead is added to the limits that are set. */
export function podLimits(spec: JsonRecord, overhead: boolean): ResourceList {
  const totals = podTotals(spec, "limits");
  if (!overhead) return totals;
  for (const [name, quantity] of readResourceList(spec.overhead)) {
    const current = totals.get(name);
    if (current) totals.set(name, current.add(quantity));
  }
  return totals;
}
