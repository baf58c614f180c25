/**
 * The roles of the controllers (upstream's controller_policy.go, `system:controller:*`).
 * kubun's controllers run inside one controller manager under its own identity (User
 * system:kube-controller-manager), not one service account each, so every binding names
 * that user next to upstream's kube-system service account.
 */
import type { KubeObject } from "../../resources/kind.ts";
import {
  apps,
  authorization,
  autoscaling,
  batch,
  CONTROLLER_PREFIX,
  certificates,
  clusterRole,
  clusterRoleBinding,
  core,
  discovery,
  eventsRule,
  extensions,
  KUBE_SYSTEM,
  policy,
  read,
  rule,
  serviceAccount,
  signers,
  storage,
  user,
} from "./policy-builders.ts";
import { type PolicyRule, RBAC_GROUP } from "./policy-rule.ts";

export function controllerRoles(): KubeObject[] {
  const controller = (name: string, rules: PolicyRule[]) =>
    clusterRole(`${CONTROLLER_PREFIX}${name}`, rules);
  return [
    controller("attachdetach-controller", [
      rule(["list", "watch"], [core], ["persistentvolumes", "persistentvolumeclaims"]),
      rule(read, [core], ["nodes"]),
      rule(["patch", "update"], [core], ["nodes/status"]),
      rule(["list", "watch"], [core], ["pods"]),
      eventsRule(),
      rule(["get", "create", "delete", "list", "watch"], [storage], ["volumeattachments"]),
      rule(read, [storage], ["csidrivers"]),
      rule(read, [storage], ["csinodes"]),
    ]),
    // It rewrites aggregated ClusterRoles, whatever they grant.
    controller("clusterrole-aggregation-controller", [
      rule(["escalate", "get", "list", "watch", "update", "patch"], [RBAC_GROUP], ["clusterroles"]),
    ]),
    controller("cronjob-controller", [
      rule(["get", "list", "watch", "update"], [batch], ["cronjobs"]),
      rule(["get", "list", "watch", "create", "update", "delete", "patch"], [batch], ["jobs"]),
      rule(["update"], [batch], ["cronjobs/status"]),
      rule(["update"], [batch], ["cronjobs/finalizers"]),
      rule(["list", "delete"], [core], ["pods"]),
      eventsRule(),
    ]),
    controller("daemon-set-controller", [
      rule(read, [extensions, apps], ["daemonsets"]),
      rule(["update"], [extensions, apps], ["daemonsets/status"]),
      rule(["update"], [extensions, apps], ["daemonsets/finalizers"]),
      rule(["list", "watch"], [core], ["nodes"]),
      rule(["list", "watch", "create", "delete", "patch"], [core], ["pods"]),
      rule(["create"], [core], ["pods/binding"]),
      rule(
        ["get", "list", "watch", "create", "delete", "update", "patch"],
        [apps],
        ["controllerrevisions"],
      ),
      eventsRule(),
    ]),
    controller("deployment-controller", [
      rule(["get", "list", "watch", "update"], [extensions, apps], ["deployments"]),
      rule(["update"], [extensions, apps], ["deployments/status"]),
      rule(["update"], [extensions, apps], ["deployments/finalizers"]),
      rule(
        ["get", "list", "watch", "create", "update", "patch", "delete"],
        [apps, extensions],
        ["replicasets"],
      ),
      rule(["get", "list", "watch", "update"], [core], ["pods"]),
      eventsRule(),
    ]),
    controller("disruption-controller", [
      rule(read, [extensions, apps], ["deployments"]),
      rule(read, [apps, extensions], ["replicasets"]),
      rule(read, [core], ["replicationcontrollers"]),
      rule(read, [policy], ["poddisruptionbudgets"]),
      rule(read, [apps], ["statefulsets"]),
      rule(["update"], [policy], ["poddisruptionbudgets/status"]),
      rule(["get"], ["*"], ["*/scale"]),
      eventsRule(),
    ]),
    controller("endpoint-controller", [
      rule(read, [core], ["services", "pods"]),
      rule(["get", "list", "create", "update", "delete"], [core], ["endpoints"]),
      rule(["create"], [core], ["endpoints/restricted"]),
      eventsRule(),
    ]),
    controller("endpointslice-controller", [
      rule(read, [core], ["services", "pods", "nodes"]),
      // Owner references with blockOwnerDeletion need update on the owner's finalizers.
      rule(["update"], [core], ["services/finalizers"]),
      rule(["get", "list", "create", "update", "delete"], [discovery], ["endpointslices"]),
      eventsRule(),
    ]),
    controller("endpointslicemirroring-controller", [
      rule(read, [core], ["services", "endpoints"]),
      rule(["update"], [core], ["services/finalizers"]),
      rule(["update"], [core], ["endpoints/finalizers"]),
      rule(["get", "list", "create", "update", "delete"], [discovery], ["endpointslices"]),
      eventsRule(),
    ]),
    controller("ephemeral-volume-controller", [
      rule(read, [core], ["pods"]),
      rule(["update"], [core], ["pods/finalizers"]),
      rule(["get", "list", "watch", "create"], [core], ["persistentvolumeclaims"]),
      eventsRule(),
    ]),
    controller("generic-garbage-collector", [
      rule(["get", "list", "watch", "patch", "update", "delete"], ["*"], ["*"]),
      eventsRule(),
    ]),
    controller("horizontal-pod-autoscaler", [
      rule(read, [autoscaling], ["horizontalpodautoscalers"]),
      rule(["update"], [autoscaling], ["horizontalpodautoscalers/status"]),
      rule(["get", "update"], ["*"], ["*/scale"]),
      rule(["list"], [core], ["pods"]),
      rule(["list"], ["metrics.k8s.io"], ["pods"]),
      rule(["get", "list"], ["custom.metrics.k8s.io"], ["*"]),
      rule(["get", "list"], ["external.metrics.k8s.io"], ["*"]),
      eventsRule(),
    ]),
    controller("job-controller", [
      rule(["get", "list", "watch", "update", "patch"], [batch], ["jobs"]),
      rule(["update"], [batch], ["jobs/status"]),
      rule(["update"], [batch], ["jobs/finalizers"]),
      rule(["list", "watch", "create", "delete", "patch"], [core], ["pods"]),
      eventsRule(),
    ]),
    controller("namespace-controller", [
      rule(["get", "list", "watch", "delete"], [core], ["namespaces"]),
      rule(["update"], [core], ["namespaces/finalize", "namespaces/status"]),
      rule(["get", "list", "delete", "deletecollection"], ["*"], ["*"]),
    ]),
    controller("node-controller", [
      rule(["get", "list", "update", "delete", "patch"], [core], ["nodes"]),
      rule(["patch", "update"], [core], ["nodes/status"]),
      rule(["update"], [core], ["pods/status"]),
      rule(["list", "delete"], [core], ["pods"]),
      eventsRule(),
      rule(["get"], [core], ["pods"]),
      rule(["patch"], [core], ["pods/status"]),
    ]),
    controller("persistent-volume-binder", [
      rule(["get", "list", "watch", "update", "create", "delete"], [core], ["persistentvolumes"]),
      rule(["update"], [core], ["persistentvolumes/status"]),
      rule(["get", "list", "watch", "update"], [core], ["persistentvolumeclaims"]),
      rule(["update"], [core], ["persistentvolumeclaims/status"]),
      rule(["list", "watch", "get", "create", "delete"], [core], ["pods"]),
      rule(read, [storage], ["storageclasses"]),
      // The built-in local-path provisioner puts its default class in place, as k3s does.
      rule(["create"], [storage], ["storageclasses"]),
      rule(["get", "create", "update", "delete"], [core], ["endpoints"]),
      rule(["get", "create", "delete"], [core], ["services"]),
      rule(["get"], [core], ["secrets"]),
      rule(["get", "list"], [core], ["nodes"]),
      rule(["watch"], [core], ["events"]),
      eventsRule(),
    ]),
    controller("pod-garbage-collector", [
      rule(["list", "watch", "delete"], [core], ["pods"]),
      rule(["get", "list"], [core], ["nodes"]),
      rule(["patch"], [core], ["pods/status"]),
    ]),
    controller("replicaset-controller", [
      rule(["get", "list", "watch", "update"], [apps, extensions], ["replicasets"]),
      rule(["update"], [apps, extensions], ["replicasets/status"]),
      rule(["update"], [apps, extensions], ["replicasets/finalizers"]),
      rule(["list", "watch", "patch", "create", "delete"], [core], ["pods"]),
      eventsRule(),
    ]),
    controller("replication-controller", [
      rule(["get", "list", "watch", "update"], [core], ["replicationcontrollers"]),
      rule(["update"], [core], ["replicationcontrollers/status"]),
      rule(["update"], [core], ["replicationcontrollers/finalizers"]),
      rule(["list", "watch", "patch", "create", "delete"], [core], ["pods"]),
      eventsRule(),
    ]),
    controller("resourcequota-controller", [
      // Quota counts anything, so it reads everything.
      rule(["list", "watch"], ["*"], ["*"]),
      rule(["update"], [core], ["resourcequotas/status"]),
      eventsRule(),
    ]),
    controller("service-account-controller", [
      rule(["create"], [core], ["serviceaccounts"]),
      eventsRule(),
    ]),
    // Upstream's tokens controller runs with the controller manager's own credentials
    // (system:kube-controller-manager grants the same); kubun names what it uses here.
    controller("serviceaccount-token-controller", [
      rule(["get", "list", "watch", "update", "delete"], [core], ["secrets"]),
      rule(["get", "list", "watch"], [core], ["serviceaccounts"]),
      eventsRule(),
    ]),
    controller("service-controller", [
      rule(read, [core], ["services"]),
      rule(["patch", "update"], [core], ["services/status"]),
      rule(["list", "watch"], [core], ["nodes"]),
      eventsRule(),
    ]),
    controller("statefulset-controller", [
      rule(["list", "watch"], [core], ["pods"]),
      rule(read, [apps], ["statefulsets"]),
      rule(["update"], [apps], ["statefulsets/status"]),
      rule(["update"], [apps], ["statefulsets/finalizers"]),
      rule(["get", "create", "delete", "update", "patch"], [core], ["pods"]),
      rule(
        ["get", "create", "delete", "update", "patch", "list", "watch"],
        [apps],
        ["controllerrevisions"],
      ),
      rule(["get", "create"], [core], ["persistentvolumeclaims"]),
      eventsRule(),
      rule(["update", "delete"], [core], ["persistentvolumeclaims"]),
    ]),
    controller("ttl-controller", [
      rule(["update", "patch", "list", "watch"], [core], ["nodes"]),
      eventsRule(),
    ]),
    controller("certificate-controller", [
      rule(["get", "list", "watch", "delete"], [certificates], ["certificatesigningrequests"]),
      rule(
        ["update"],
        [certificates],
        ["certificatesigningrequests/status", "certificatesigningrequests/approval"],
      ),
      rule(
        ["approve"],
        [certificates],
        ["signers"],
        [signers.kubeAPIServerClientKubelet, signers.kubeletServing],
      ),
      // Serving CSRs are approved when their names match the node's addresses.
      rule(["get"], [core], ["nodes"]),
      rule(
        ["sign"],
        [certificates],
        ["signers"],
        [
          signers.legacyUnknown,
          signers.kubeAPIServerClient,
          signers.kubeAPIServerClientKubelet,
          signers.kubeletServing,
        ],
      ),
      rule(["create"], [authorization], ["subjectaccessreviews"]),
      eventsRule(),
    ]),
    // Upstream keeps these two as Roles in kube-public/kube-system; here they are
    // cluster roles like the rest, scoped by what the controllers ask for.
    controller("bootstrap-signer", [
      rule(["get", "list", "watch", "create", "update", "patch"], [core], ["configmaps"]),
      rule(["get", "list", "watch"], [core], ["secrets"]),
      eventsRule(),
    ]),
    controller("token-cleaner", [
      rule(["get", "list", "watch", "delete"], [core], ["secrets"]),
      eventsRule(),
    ]),
    controller("pvc-protection-controller", [
      rule(["get", "list", "watch", "update"], [core], ["persistentvolumeclaims"]),
      rule(["list", "watch", "get"], [core], ["pods"]),
      eventsRule(),
    ]),
    controller("pv-protection-controller", [
      rule(["get", "list", "watch", "update"], [core], ["persistentvolumes"]),
      eventsRule(),
    ]),
    controller("ttl-after-finished-controller", [
      rule(["get", "list", "watch", "delete"], [batch], ["jobs"]),
      eventsRule(),
    ]),
    controller("root-ca-cert-publisher", [
      rule(["create", "update"], [core], ["configmaps"]),
      eventsRule(),
    ]),
  ];
}

/** A controller's binding: upstream's service account, plus the controller manager that runs it here. */
function controllerBinding(roleName: string): KubeObject {
  const controller = roleName.slice(CONTROLLER_PREFIX.length);
  return clusterRoleBinding(roleName, roleName, [
    serviceAccount(KUBE_SYSTEM, controller),
    user("system:kube-controller-manager"),
  ]);
}

export function controllerRoleBindings(): KubeObject[] {
  return controllerRoles().map((role) => controllerBinding(role.metadata?.name ?? ""));
}
