/** Ingresses, IngressClasses and NetworkPolicies (networking.k8s.io/v1). */
import type { KubeObject } from "../kind.ts";
import type { MetaV1LabelSelector } from "../labels/label-selector.ts";
import { formatLabelSelector } from "./label-cells.ts";
import { loadBalancerAddresses } from "./load-balancer-cell.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

interface Ingress {
  spec?: {
    ingressClassName?: string | null;
    rules?: { host?: string }[] | null;
    tls?: unknown[] | null;
  } | null;
  status?: {
    loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] | null } | null;
  } | null;
}

interface IngressClass {
  spec?: {
    controller?: string;
    parameters?: { apiGroup?: string | null; kind?: string; name?: string } | null;
  } | null;
}

const ingressColumns = [
  nameColumn,
  column(
    "Class",
    "The name of the IngressClass resource that should be used for additional configuration",
  ),
  column("Hosts", "Hosts that incoming requests are matched against before the ingress rule"),
  column("Address", "Address is a list containing ingress points for the load-balancer"),
  column("Ports", "Ports of TLS configurations that open"),
  ageColumn,
];

const ingressClassColumns = [
  nameColumn,
  column("Controller", "Controller that is responsible for handling this class"),
  column("Parameters", "A reference to a resource with additional parameters"),
  ageColumn,
];

const networkPolicyColumns = [
  nameColumn,
  column(
    "Pod-Selector",
    "Selects the pods to which this NetworkPolicy object applies.  The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods.  In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.",
  ),
  ageColumn,
];

/** Upstream lists at most three hosts. */
const shownHosts = 3;

/**
 * HOSTS: the rules' hosts, "*" when no rule names one. Past three, the rest are counted
 * as rules (with or without a host), as upstream does.
 */
function hosts(ingress: Ingress): string {
  const rules = ingress.spec?.rules ?? [];
  const list: string[] = [];
  let more = false;
  for (const rule of rules) {
    if (list.length === shownHosts) more = true;
    if (!more && rule.host) list.push(rule.host);
  }
  if (list.length === 0) return "*";
  const text = list.join(",");
  return more ? `${text} + ${rules.length - shownHosts} more...` : text;
}

/** PORTS: upstream does not read the backends; any TLS section means 443 as well as 80. */
function ports(ingress: Ingress): string {
  return (ingress.spec?.tls ?? []).length > 0 ? "80, 443" : "80";
}

/** PARAMETERS: "Kind.apiGroup/name" (no ".apiGroup" for the core group), "<none>" without. */
function parameters(ingressClass: IngressClass): string {
  const reference = ingressClass.spec?.parameters;
  if (reference === undefined || reference === null) return "<none>";
  const kind =
    reference.apiGroup === undefined || reference.apiGroup === null
      ? (reference.kind ?? "")
      : `${reference.kind ?? ""}.${reference.apiGroup}`;
  return `${kind}/${reference.name ?? ""}`;
}

export const networkingPrinters: PrinterSet = {
  "ingresses.networking.k8s.io": {
    columns: ingressColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const ingress = object as Ingress;
      return [
        nameOf(object),
        ingress.spec?.ingressClassName ?? "<none>",
        hosts(ingress),
        loadBalancerAddresses(ingress.status?.loadBalancer?.ingress),
        ports(ingress),
        ageOf(object, now),
      ];
    },
  },
  "ingressclasses.networking.k8s.io": {
    columns: ingressClassColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const ingressClass = object as IngressClass;
      return [
        nameOf(object),
        ingressClass.spec?.controller ?? "",
        parameters(ingressClass),
        ageOf(object, now),
      ];
    },
  },
  "networkpolicies.networking.k8s.io": {
    columns: networkPolicyColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const spec = (object as { spec?: { podSelector?: MetaV1LabelSelector | null } | null }).spec;
      // podSelector is a struct upstream, never nil: a missing one selects every pod.
      return [nameOf(object), formatLabelSelector(spec?.podSelector ?? {}), ageOf(object, now)];
    },
  },
};
