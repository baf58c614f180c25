/** Services (core/v1). */
import type { KubeObject } from "../kind.ts";
import { formatLabels } from "./label-cells.ts";
import { loadBalancerAddresses } from "./load-balancer-cell.ts";
import { ageOf, nameOf } from "./object-meta-cells.ts";
import type { PrinterSet } from "./resource-printer.ts";
import { ageColumn, column, nameColumn } from "./table-column.ts";

interface ServicePort {
  port?: number;
  nodePort?: number;
  protocol?: string;
}

interface Service {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[] | null;
    externalIPs?: string[] | null;
    externalName?: string;
    ports?: ServicePort[] | null;
    selector?: Record<string, string> | null;
  } | null;
  status?: {
    loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] | null } | null;
  } | null;
}

const serviceColumns = [
  nameColumn,
  column(
    "Type",
    'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not apply to ExternalName services. More info: https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types',
  ),
  column(
    "Cluster-IP",
    'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; otherwise creation of the service will fail. This field may not be changed through updates unless the type field is also being changed to ExternalName (which requires this field to be blank) or the type field is being changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid values are "None", empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" (no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
  ),
  column(
    "External-IP",
    "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes system.",
  ),
  column(
    "Port(s)",
    "The list of ports that are exposed by this service. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies",
  ),
  ageColumn,
  column(
    "Selector",
    "Route service traffic to pods with label keys and values matching this selector. If empty or not present, the service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/",
    { priority: 1 },
  ),
];

/**
 * EXTERNAL-IP: the external IPs for ClusterIP and NodePort services ("<none>" without),
 * the load balancer's addresses followed by the external IPs for LoadBalancer services
 * ("<pending>" while there are none), the DNS name for ExternalName services.
 */
function externalIP(service: Service, type: string): string {
  const externalIPs = service.spec?.externalIPs ?? [];
  switch (type) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const balancer = loadBalancerAddresses(service.status?.loadBalancer?.ingress);
      if (externalIPs.length > 0) {
        return [...(balancer ? balancer.split(",") : []), ...externalIPs].join(",");
      }
      return balancer || "<pending>";
    }
    case "ExternalName":
      return service.spec?.externalName ?? "";
    default:
      return "<unknown>";
  }
}

/** PORT(S): "port/protocol" or "port:nodePort/protocol", joined with ",". */
function ports(service: Service): string {
  const text = (service.spec?.ports ?? [])
    .map((p) => {
      // The API server defaults protocol to TCP; an object stored before defaulting ran
      // still prints the way it will once defaulted.
      const protocol = p.protocol || "TCP";
      const port = p.port ?? 0;
      return p.nodePort && p.nodePort > 0
        ? `${port}:${p.nodePort}/${protocol}`
        : `${port}/${protocol}`;
    })
    .join(",");
  return text || "<none>";
}

export const servicePrinters: PrinterSet = {
  services: {
    columns: serviceColumns,
    cells(object: KubeObject, now: Date): unknown[] {
      const service = object as Service;
      // Defaulted to ClusterIP by the API server, so a missing type means ClusterIP.
      const type = service.spec?.type || "ClusterIP";
      // Upstream prints clusterIPs[0]; clusterIP is its single-stack mirror.
      const clusterIP = service.spec?.clusterIPs?.[0] || service.spec?.clusterIP || "<none>";
      return [
        nameOf(object),
        type,
        clusterIP,
        externalIP(service, type),
        ports(service),
        ageOf(object, now),
        formatLabels(service.spec?.selector),
      ];
    },
  },
};
