/**
 * The default roles and bindings the API server keeps in place (upstream
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy), with their labels and the autoupdate
 * annotation. Differences from upstream, all deliberate:
 *
 * - `system:node` leaves out what the Node authorizer decides alone (pods, secrets,
 *   configmaps, persistentvolumeclaims, persistentvolumes, nodes, leases,
 *   serviceaccounts/token and their subresources), so RBAC never widens a node's access
 *   beyond its own objects; and its binding to the system:nodes group is kept (upstream
 *   empties it).
 * - kubun's controllers run inside one controller manager under its own identity
 *   (User system:kube-controller-manager) instead of one service account each, so every
 *   `system:controller:*` binding names that user next to upstream's service account.
 * - Node join is kubeadm-style: `kubun:*` bindings let bootstrap tokens
 *   (system:bootstrappers) request and auto-approve node client certificates, and let
 *   anyone read the kube-public `cluster-info` ConfigMap.
 * - The kube-system `system:controller:bootstrap-signer` / `token-cleaner` roles and the
 *   leader-locking roles are left out: the controller manager's bindings cover the former,
 *   and kubun elects leaders with PostgreSQL locks.
 * - Roles that only served retired add-ons (system:heapster) are left out.
 *
 * Every call builds fresh objects, which callers may change.
 */
import type { KubeObject } from "../../resources/kind.ts";
import { controllerRoleBindings, controllerRoles } from "./controller-policy.ts";
import {
  AGGREGATE_TO_ADMIN,
  AGGREGATE_TO_EDIT,
  AGGREGATE_TO_VIEW,
  aggregatedRole,
  apps,
  authentication,
  authorization,
  autoscaling,
  batch,
  certificates,
  clusterRole,
  clusterRoleBinding,
  coordination,
  core,
  discovery,
  eventsRule,
  extensions,
  group,
  KUBE_PUBLIC,
  KUBE_SYSTEM,
  networking,
  nodeGroup,
  policy,
  read,
  readUpdate,
  readWrite,
  role,
  roleBinding,
  rule,
  serviceAccount,
  signers,
  storage,
  urlRule,
  user,
  write,
} from "./policy-builders.ts";
import { type PolicyRule, RBAC_GROUP } from "./policy-rule.ts";

export {
  AGGREGATE_TO_ADMIN,
  AGGREGATE_TO_EDIT,
  AGGREGATE_TO_VIEW,
  AUTOUPDATE_ANNOTATION,
  BOOTSTRAP_LABEL,
} from "./policy-builders.ts";

// --- Cluster roles -----------------------------------------------------------------

function discoveryRoles(): KubeObject[] {
  return [
    clusterRole("cluster-admin", [rule(["*"], ["*"], ["*"]), urlRule(["*"], ["*"])]),
    clusterRole("system:discovery", [
      urlRule(
        ["get"],
        [
          "/livez",
          "/readyz",
          "/healthz",
          "/version",
          "/version/",
          "/openapi",
          "/openapi/*",
          "/api",
          "/api/*",
          "/apis",
          "/apis/*",
        ],
      ),
    ]),
    clusterRole("system:monitoring", [
      urlRule(
        ["get"],
        [
          "/metrics",
          "/metrics/slis",
          "/livez",
          "/readyz",
          "/healthz",
          "/livez/*",
          "/readyz/*",
          "/healthz/*",
        ],
      ),
    ]),
    clusterRole("system:basic-user", [
      rule(["create"], [authorization], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
      rule(["create"], [authentication], ["selfsubjectreviews"]),
    ]),
    clusterRole("system:public-info-viewer", [
      urlRule(["get"], ["/livez", "/readyz", "/healthz", "/version", "/version/"]),
    ]),
    clusterRole("system:service-account-issuer-discovery", [
      urlRule(["get"], ["/.well-known/openid-configuration", "/openid/v1/jwks"]),
    ]),
  ];
}

/** admin ⊇ edit ⊇ view, each filled by the aggregation controller from labelled roles. */
function userFacingRoles(): KubeObject[] {
  return [
    aggregatedRole("admin", AGGREGATE_TO_ADMIN),
    aggregatedRole("edit", AGGREGATE_TO_EDIT, { [AGGREGATE_TO_ADMIN]: "true" }),
    aggregatedRole("view", AGGREGATE_TO_VIEW, { [AGGREGATE_TO_EDIT]: "true" }),
    clusterRole("system:aggregate-to-admin", aggregateToAdminRules(), {
      labels: { [AGGREGATE_TO_ADMIN]: "true" },
    }),
    clusterRole("system:aggregate-to-edit", aggregateToEditRules(), {
      labels: { [AGGREGATE_TO_EDIT]: "true" },
    }),
    clusterRole("system:aggregate-to-view", aggregateToViewRules(), {
      labels: { [AGGREGATE_TO_VIEW]: "true" },
    }),
  ];
}

function aggregateToAdminRules(): PolicyRule[] {
  return [
    rule(["create"], [authorization], ["localsubjectaccessreviews"]),
    rule(readWrite, [RBAC_GROUP], ["roles", "rolebindings"]),
  ];
}

/** Edit: all user-level writes in a namespace, but not quotas, limits or `/status`. */
function aggregateToEditRules(): PolicyRule[] {
  return [
    // Reading these can escalate (exec into pods, read tokens), so view does not get them.
    rule(
      read,
      [core],
      ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"],
    ),
    rule(["impersonate"], [core], ["serviceaccounts"]),
    rule(write, [core], ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]),
    rule(["create"], [core], ["pods/eviction"]),
    rule(
      write,
      [core],
      [
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "serviceaccounts",
        "services",
        "services/proxy",
        "persistentvolumeclaims",
        "configmaps",
        "secrets",
        "events",
      ],
    ),
    rule(["create"], [core], ["serviceaccounts/token"]),
    rule(
      write,
      [apps],
      [
        "statefulsets",
        "statefulsets/scale",
        "daemonsets",
        "deployments",
        "deployments/scale",
        "deployments/rollback",
        "replicasets",
        "replicasets/scale",
      ],
    ),
    rule(write, [autoscaling], ["horizontalpodautoscalers"]),
    rule(write, [batch], ["jobs", "cronjobs"]),
    rule(
      write,
      [extensions],
      [
        "daemonsets",
        "deployments",
        "deployments/scale",
        "deployments/rollback",
        "ingresses",
        "replicasets",
        "replicasets/scale",
        "replicationcontrollers/scale",
        "networkpolicies",
      ],
    ),
    rule(write, [policy], ["poddisruptionbudgets"]),
    rule(write, [networking], ["networkpolicies", "ingresses"]),
    rule(readWrite, [coordination], ["leases"]),
  ];
}

/** View: read-only access to what does not escalate (no secrets). */
function aggregateToViewRules(): PolicyRule[] {
  return [
    rule(
      read,
      [core],
      [
        "pods",
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "serviceaccounts",
        "services",
        "services/status",
        "endpoints",
        "persistentvolumeclaims",
        "persistentvolumeclaims/status",
        "configmaps",
      ],
    ),
    rule(
      read,
      [core],
      [
        "limitranges",
        "resourcequotas",
        "bindings",
        "events",
        "pods/status",
        "resourcequotas/status",
        "namespaces/status",
        "replicationcontrollers/status",
        "pods/log",
      ],
    ),
    // Reading namespaces in a namespace means reading that one: it shows where one has access.
    rule(read, [core], ["namespaces"]),
    rule(read, [discovery], ["endpointslices"]),
    rule(
      read,
      [apps],
      [
        "controllerrevisions",
        "statefulsets",
        "statefulsets/status",
        "statefulsets/scale",
        "daemonsets",
        "daemonsets/status",
        "deployments",
        "deployments/status",
        "deployments/scale",
        "replicasets",
        "replicasets/status",
        "replicasets/scale",
      ],
    ),
    rule(read, [autoscaling], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
    rule(read, [batch], ["jobs", "cronjobs", "cronjobs/status", "jobs/status"]),
    rule(
      read,
      [extensions],
      [
        "daemonsets",
        "daemonsets/status",
        "deployments",
        "deployments/scale",
        "deployments/status",
        "ingresses",
        "ingresses/status",
        "replicasets",
        "replicasets/scale",
        "replicasets/status",
        "replicationcontrollers/scale",
        "networkpolicies",
      ],
    ),
    rule(read, [policy], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
    rule(read, [networking], ["networkpolicies", "ingresses", "ingresses/status"]),
  ];
}

/**
 * What a node agent needs beyond its own objects. Pods, secrets, configmaps, PVCs, PVs,
 * nodes, leases and serviceaccounts/token (and their subresources) are the Node
 * authorizer's alone, which limits each node to the objects of its own pods.
 */
export function nodeRules(): PolicyRule[] {
  return [
    // Delegated authentication and authorization of kubelet API calls (non-mutating).
    rule(["create"], [authentication], ["tokenreviews"]),
    rule(["create"], [authorization], ["subjectaccessreviews", "localsubjectaccessreviews"]),
    // Service environment variables and the service proxy.
    rule(read, [core], ["services", "endpoints"]),
    rule(read, [discovery], ["endpointslices"]),
    // Both event APIs (upstream grants only the core one), whichever the node agent uses.
    eventsRule(),
    // Client certificate rotation.
    rule(["create", "get", "list", "watch"], [certificates], ["certificatesigningrequests"]),
    rule(["get"], [storage], ["volumeattachments"]),
    rule(read, [storage], ["csidrivers", "storageclasses"]),
    rule(["get", "create", "update", "patch", "delete"], [storage], ["csinodes"]),
    rule(read, [nodeGroup], ["runtimeclasses"]),
  ];
}

function nodeRoles(): KubeObject[] {
  return [
    clusterRole("system:node", nodeRules()),
    clusterRole("system:node-problem-detector", [
      rule(["get"], [core], ["nodes"]),
      rule(["patch"], [core], ["nodes/status"]),
      eventsRule(),
    ]),
    clusterRole("system:kubelet-api-admin", [
      rule(read, [core], ["nodes"]),
      rule(["proxy"], [core], ["nodes"]),
      rule(
        ["*"],
        [core],
        ["nodes/proxy", "nodes/metrics", "nodes/spec", "nodes/stats", "nodes/log"],
      ),
    ]),
    clusterRole("system:node-bootstrapper", [
      rule(["create", "get", "list", "watch"], [certificates], ["certificatesigningrequests"]),
    ]),
    clusterRole("system:node-proxier", [
      rule(["list", "watch"], [core], ["services", "endpoints"]),
      rule(read, [core], ["nodes"]),
      eventsRule(),
      rule(["list", "watch"], [discovery], ["endpointslices"]),
    ]),
    clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [
      rule(["create"], [certificates], ["certificatesigningrequests/nodeclient"]),
    ]),
    clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [
      rule(["create"], [certificates], ["certificatesigningrequests/selfnodeclient"]),
    ]),
  ];
}

function approverRoles(): KubeObject[] {
  const approver = (name: string, signer: string) =>
    clusterRole(`system:certificates.k8s.io:${name}`, [
      rule(["approve"], [certificates], ["signers"], [signer]),
    ]);
  return [
    approver("legacy-unknown-approver", signers.legacyUnknown),
    approver("kubelet-serving-approver", signers.kubeletServing),
    approver("kube-apiserver-client-approver", signers.kubeAPIServerClient),
    approver("kube-apiserver-client-kubelet-approver", signers.kubeAPIServerClientKubelet),
  ];
}

function componentRoles(): KubeObject[] {
  return [
    clusterRole("system:auth-delegator", [
      rule(["create"], [authentication], ["tokenreviews"]),
      rule(["create"], [authorization], ["subjectaccessreviews"]),
    ]),
    clusterRole("system:kube-aggregator", [rule(read, [core], ["services", "endpoints"])]),
    clusterRole("system:kube-controller-manager", kubeControllerManagerRules()),
    clusterRole("system:kube-dns", [rule(["list", "watch"], [core], ["endpoints", "services"])]),
    clusterRole("system:persistent-volume-provisioner", [
      rule(["get", "list", "watch", "create", "delete"], [core], ["persistentvolumes"]),
      rule(["get", "list", "watch", "update"], [core], ["persistentvolumeclaims"]),
      rule(read, [storage], ["storageclasses"]),
      rule(["watch"], [core], ["events"]),
      eventsRule(),
    ]),
    clusterRole("system:volume-scheduler", [
      rule(readUpdate, [core], ["persistentvolumes"]),
      rule(read, [storage], ["storageclasses"]),
      rule(readUpdate, [core], ["persistentvolumeclaims"]),
    ]),
    clusterRole("system:kube-scheduler", kubeSchedulerRules()),
  ];
}

/** What the controller manager needs for itself; each controller's role is bound to it too. */
function kubeControllerManagerRules(): PolicyRule[] {
  return [
    eventsRule(),
    rule(["create"], [coordination], ["leases"]),
    rule(["get", "update"], [coordination], ["leases"], ["kube-controller-manager"]),
    rule(["create"], [core], ["endpoints"]),
    rule(["get", "update"], [core], ["endpoints"], ["kube-controller-manager"]),
    rule(["create"], [core], ["secrets", "serviceaccounts"]),
    rule(["delete"], [core], ["secrets"]),
    rule(["get"], [core], ["namespaces", "secrets", "serviceaccounts", "configmaps"]),
    rule(["update"], [core], ["secrets", "serviceaccounts"]),
    rule(["create"], [authentication], ["tokenreviews"]),
    rule(["create"], [authorization], ["subjectaccessreviews"]),
    // Shared informers watch everything.
    rule(["list", "watch"], ["*"], ["*"]),
    rule(["create"], [core], ["serviceaccounts/token"]),
  ];
}

function kubeSchedulerRules(): PolicyRule[] {
  return [
    eventsRule(),
    rule(["create"], [coordination], ["leases"]),
    rule(["get", "update"], [coordination], ["leases"], ["kube-scheduler"]),
    rule(["create"], [core], ["endpoints"]),
    rule(["get", "update"], [core], ["endpoints"], ["kube-scheduler"]),
    rule(read, [core], ["nodes"]),
    rule(["get", "list", "watch", "delete"], [core], ["pods"]),
    rule(["create"], [core], ["pods/binding", "bindings"]),
    rule(["patch", "update"], [core], ["pods/status"]),
    // What selects pods, and what pods use.
    rule(read, [core], ["services", "replicationcontrollers"]),
    rule(read, [apps, extensions], ["replicasets"]),
    rule(read, [apps], ["statefulsets"]),
    rule(read, [policy], ["poddisruptionbudgets"]),
    rule(read, [core], ["persistentvolumeclaims", "persistentvolumes"]),
    rule(["create"], [authentication], ["tokenreviews"]),
    rule(["create"], [authorization], ["subjectaccessreviews"]),
    rule(read, [storage], ["csinodes"]),
    rule(read, [core], ["namespaces"]),
    rule(read, [storage], ["csidrivers"]),
    rule(read, [storage], ["csistoragecapacities"]),
  ];
}

/** The roles of the controllers, upstream's `system:controller:*` (controller_policy.go). */

export function defaultClusterRoles(): KubeObject[] {
  return [
    ...discoveryRoles(),
    ...userFacingRoles(),
    ...nodeRoles(),
    ...approverRoles(),
    ...componentRoles(),
    ...controllerRoles(),
  ];
}

// --- Cluster role bindings ---------------------------------------------------------

export function defaultClusterRoleBindings(): KubeObject[] {
  return [
    clusterRoleBinding("cluster-admin", "cluster-admin", [group("system:masters")]),
    clusterRoleBinding("system:monitoring", "system:monitoring", [group("system:monitoring")]),
    clusterRoleBinding("system:discovery", "system:discovery", [group("system:authenticated")]),
    clusterRoleBinding("system:basic-user", "system:basic-user", [group("system:authenticated")]),
    clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer", [
      group("system:authenticated"),
      group("system:unauthenticated"),
    ]),
    clusterRoleBinding("system:node-proxier", "system:node-proxier", [user("system:kube-proxy")]),
    clusterRoleBinding("system:kube-controller-manager", "system:kube-controller-manager", [
      user("system:kube-controller-manager"),
    ]),
    clusterRoleBinding("system:kube-dns", "system:kube-dns", [
      serviceAccount(KUBE_SYSTEM, "kube-dns"),
    ]),
    clusterRoleBinding("system:kube-scheduler", "system:kube-scheduler", [
      user("system:kube-scheduler"),
    ]),
    clusterRoleBinding("system:volume-scheduler", "system:volume-scheduler", [
      user("system:kube-scheduler"),
    ]),
    clusterRoleBinding("system:node", "system:node", [group("system:nodes")]),
    clusterRoleBinding(
      "system:service-account-issuer-discovery",
      "system:service-account-issuer-discovery",
      [group("system:serviceaccounts")],
    ),
    clusterRoleBinding("kubun:node-bootstrapper", "system:node-bootstrapper", [
      group("system:bootstrappers"),
    ]),
    clusterRoleBinding(
      "kubun:node-autoapprove-bootstrap",
      "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
      [group("system:bootstrappers")],
    ),
    clusterRoleBinding(
      "kubun:node-autoapprove-certificate-rotation",
      "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
      [group("system:nodes")],
    ),
    ...controllerRoleBindings(),
  ];
}

// --- Namespaced roles and bindings -------------------------------------------------

export function defaultRoles(): KubeObject[] {
  return [
    // Lets aggregated API servers and components read the client-CA configuration.
    role(KUBE_SYSTEM, "extension-apiserver-authentication-reader", [
      rule(read, [core], ["configmaps"], ["extension-apiserver-authentication"]),
    ]),
    // A joining node reads the cluster's CA and address before it has any credentials.
    role(KUBE_PUBLIC, "kubun:bootstrap-signer-clusterinfo", [
      rule(["get"], [core], ["configmaps"], ["cluster-info"]),
    ]),
  ];
}

export function defaultRoleBindings(): KubeObject[] {
  return [
    roleBinding(
      KUBE_SYSTEM,
      "system::extension-apiserver-authentication-reader",
      "extension-apiserver-authentication-reader",
      [user("system:kube-controller-manager"), user("system:kube-scheduler")],
    ),
    roleBinding(
      KUBE_PUBLIC,
      "kubun:bootstrap-signer-clusterinfo",
      "kubun:bootstrap-signer-clusterinfo",
      [user("system:anonymous")],
    ),
  ];
}
