import { describe, expect, test } from "bun:test";
import {
  defaultClusterRoleBindings,
  defaultClusterRoles,
  defaultRoleBindings,
  defaultRoles,
} from "../../../src/auth/rbac/bootstrap-policy.ts";
import { RbacAuthorizer } from "../../../src/auth/rbac/rbac-authorizer.ts";
import type { Attributes } from "../../../src/auth/types.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { validateClusterRole } from "../../../src/resources/kinds/rbac/cluster-role.ts";
import { validateBinding } from "../../../src/resources/kinds/rbac/rbac.validation.ts";
import { validateRole } from "../../../src/resources/kinds/rbac/role.ts";
import { memoryReader, nonResourceAttributes, resourceAttributes, userInfo } from "./fixtures.ts";

const everything = (): KubeObject[] => [
  ...defaultClusterRoles(),
  ...defaultClusterRoleBindings(),
  ...defaultRoles(),
  ...defaultRoleBindings(),
];

const names = (objects: KubeObject[]) => objects.map((o) => o.metadata?.name ?? "");

describe("bootstrap policy shape", () => {
  test("every default binding's roleRef names a default role", () => {
    const clusterRoles = new Set(names(defaultClusterRoles()));
    for (const binding of defaultClusterRoleBindings()) {
      const roleRef = binding.roleRef as { kind: string; name: string };
      expect({ binding: binding.metadata?.name, kind: roleRef.kind }).toEqual({
        binding: binding.metadata?.name,
        kind: "ClusterRole",
      });
      expect(clusterRoles).toContain(roleRef.name);
    }
    const roles = new Set(
      defaultRoles().map((r) => `${r.metadata?.namespace}/${r.metadata?.name}`),
    );
    for (const binding of defaultRoleBindings()) {
      const roleRef = binding.roleRef as { kind: string; name: string };
      expect(roleRef.kind).toBe("Role");
      expect(roles).toContain(`${binding.metadata?.namespace}/${roleRef.name}`);
    }
  });

  test("names are unique per kind and namespace", () => {
    const keys = everything().map(
      (o) => `${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`,
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("everything carries the bootstrapping label and the autoupdate annotation", () => {
    for (const object of everything()) {
      expect(object.apiVersion).toBe("rbac.authorization.k8s.io/v1");
      expect(object.metadata?.labels?.["kubernetes.io/bootstrapping"]).toBe("rbac-defaults");
      expect(object.metadata?.annotations?.["rbac.authorization.kubernetes.io/autoupdate"]).toBe(
        "true",
      );
    }
  });

  test("namespaced objects have a namespace and cluster objects none", () => {
    for (const object of [...defaultRoles(), ...defaultRoleBindings()]) {
      expect(object.metadata?.namespace).toBeTruthy();
    }
    for (const object of [...defaultClusterRoles(), ...defaultClusterRoleBindings()]) {
      expect(object.metadata?.namespace).toBeUndefined();
    }
  });

  test("every object passes the kinds' validation", () => {
    const messages = (object: KubeObject) => {
      switch (object.kind) {
        case "ClusterRole":
          return validateClusterRole(object);
        case "Role":
          return validateRole(object);
        case "ClusterRoleBinding":
          return validateBinding(object, false);
        default:
          return validateBinding(object, true);
      }
    };
    for (const object of everything()) {
      expect({ name: object.metadata?.name, errors: messages(object) }).toEqual({
        name: object.metadata?.name,
        errors: [],
      });
    }
  });

  test("admin, edit and view aggregate by label and start empty", () => {
    const byName = new Map(defaultClusterRoles().map((r) => [r.metadata?.name, r]));
    for (const name of ["admin", "edit", "view"]) {
      expect(byName.get(name)?.rules).toEqual([]);
      expect(byName.get(name)?.aggregationRule).toEqual({
        clusterRoleSelectors: [
          { matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${name}`]: "true" } },
        ],
      });
      expect(byName.get(`system:aggregate-to-${name}`)?.metadata?.labels).toEqual({
        [`rbac.authorization.k8s.io/aggregate-to-${name}`]: "true",
        "kubernetes.io/bootstrapping": "rbac-defaults",
      });
    }
    expect(
      byName.get("edit")?.metadata?.labels?.["rbac.authorization.k8s.io/aggregate-to-admin"],
    ).toBe("true");
    expect(
      byName.get("view")?.metadata?.labels?.["rbac.authorization.k8s.io/aggregate-to-edit"],
    ).toBe("true");
  });

  test("every call builds fresh objects", () => {
    const first = defaultClusterRoles();
    (first[0]?.rules as unknown[]).length = 0;
    expect(defaultClusterRoles()[0]?.rules).not.toEqual([]);
  });
});

describe("bootstrap policy through the authorizer", () => {
  const authorizer = new RbacAuthorizer(memoryReader(everything()));
  const decide = (attributes: Attributes) => authorizer.authorize(attributes).decision;
  const authenticated = (user: string, ...groups: string[]) =>
    userInfo(user, [...groups, "system:authenticated"]);

  test("system:masters may do anything", () => {
    const admin = authenticated("admin", "system:masters");
    expect(
      decide(resourceAttributes(admin, { verb: "delete", resource: "nodes", name: "n" })),
    ).toBe("allow");
    expect(decide(nonResourceAttributes(admin, "get", "/metrics"))).toBe("allow");
  });

  test("authenticated users discover the API and ask about themselves", () => {
    const alice = authenticated("alice");
    expect(decide(nonResourceAttributes(alice, "get", "/apis/apps/v1"))).toBe("allow");
    expect(decide(nonResourceAttributes(alice, "get", "/version"))).toBe("allow");
    expect(decide(nonResourceAttributes(alice, "get", "/metrics"))).toBe("no-opinion");
    for (const [apiGroup, resource] of [
      ["authorization.k8s.io", "selfsubjectaccessreviews"],
      ["authorization.k8s.io", "selfsubjectrulesreviews"],
      ["authentication.k8s.io", "selfsubjectreviews"],
    ] as const) {
      expect(decide(resourceAttributes(alice, { verb: "create", apiGroup, resource }))).toBe(
        "allow",
      );
    }
    expect(decide(resourceAttributes(alice, { verb: "list", resource: "pods" }))).toBe(
      "no-opinion",
    );
  });

  test("unauthenticated users see health and version only", () => {
    const anonymous = userInfo("system:anonymous", ["system:unauthenticated"]);
    expect(decide(nonResourceAttributes(anonymous, "get", "/healthz"))).toBe("allow");
    expect(decide(nonResourceAttributes(anonymous, "get", "/version/"))).toBe("allow");
    expect(decide(nonResourceAttributes(anonymous, "get", "/api"))).toBe("no-opinion");
  });

  test("anonymous users read cluster-info in kube-public and nothing else", () => {
    const anonymous = userInfo("system:anonymous", ["system:unauthenticated"]);
    const get = (namespace: string, name: string) =>
      decide(resourceAttributes(anonymous, { resource: "configmaps", namespace, name }));
    expect(get("kube-public", "cluster-info")).toBe("allow");
    expect(get("kube-public", "other")).toBe("no-opinion");
    expect(get("default", "cluster-info")).toBe("no-opinion");
  });

  test("system:node grants nothing the Node authorizer decides", () => {
    const node = authenticated("system:node:n1", "system:nodes");
    for (const [apiGroup, resource, subresource] of [
      ["", "pods", ""],
      ["", "pods", "status"],
      ["", "secrets", ""],
      ["", "configmaps", ""],
      ["", "persistentvolumeclaims", ""],
      ["", "persistentvolumes", ""],
      ["", "nodes", ""],
      ["", "nodes", "status"],
      ["coordination.k8s.io", "leases", ""],
      ["", "serviceaccounts", "token"],
    ] as const) {
      for (const verb of ["get", "list", "create", "update", "patch", "delete"]) {
        expect({
          resource,
          subresource,
          verb,
          decision: decide(
            resourceAttributes(node, {
              verb,
              apiGroup,
              resource,
              subresource,
              namespace: "ns1",
              name: "x",
            }),
          ),
        }).toEqual({ resource, subresource, verb, decision: "no-opinion" });
      }
    }
  });

  test("system:node grants the rest a node agent needs", () => {
    const node = authenticated("system:node:n1", "system:nodes");
    for (const [verb, apiGroup, resource] of [
      ["create", "", "events"],
      ["patch", "", "events"],
      ["watch", "", "services"],
      ["list", "", "endpoints"],
      ["list", "discovery.k8s.io", "endpointslices"],
      ["create", "certificates.k8s.io", "certificatesigningrequests"],
      ["create", "authentication.k8s.io", "tokenreviews"],
      ["create", "authorization.k8s.io", "subjectaccessreviews"],
      ["watch", "node.k8s.io", "runtimeclasses"],
      ["get", "storage.k8s.io", "csidrivers"],
      ["get", "storage.k8s.io", "storageclasses"],
      ["get", "storage.k8s.io", "volumeattachments"],
    ] as const) {
      expect({
        verb,
        resource,
        decision: decide(resourceAttributes(node, { verb, apiGroup, resource, namespace: "ns1" })),
      }).toEqual({ verb, resource, decision: "allow" });
    }
  });

  test("bootstrap tokens request node client certificates, nodes renew their own", () => {
    const bootstrapper = authenticated("system:bootstrap:abcdef", "system:bootstrappers");
    const csr = { apiGroup: "certificates.k8s.io", resource: "certificatesigningrequests" };
    expect(decide(resourceAttributes(bootstrapper, { ...csr, verb: "create" }))).toBe("allow");
    expect(
      decide(
        resourceAttributes(bootstrapper, { ...csr, verb: "create", subresource: "nodeclient" }),
      ),
    ).toBe("allow");
    expect(
      decide(
        resourceAttributes(bootstrapper, { ...csr, verb: "create", subresource: "selfnodeclient" }),
      ),
    ).toBe("no-opinion");
    const node = authenticated("system:node:n1", "system:nodes");
    expect(
      decide(resourceAttributes(node, { ...csr, verb: "create", subresource: "selfnodeclient" })),
    ).toBe("allow");
  });

  test("components get their roles by user name", () => {
    const scheduler = authenticated("system:kube-scheduler");
    expect(
      decide(
        resourceAttributes(scheduler, {
          verb: "create",
          resource: "pods",
          subresource: "binding",
          namespace: "ns1",
        }),
      ),
    ).toBe("allow");
    const proxy = authenticated("system:kube-proxy");
    expect(
      decide(
        resourceAttributes(proxy, {
          verb: "watch",
          apiGroup: "discovery.k8s.io",
          resource: "endpointslices",
        }),
      ),
    ).toBe("allow");
    const manager = authenticated("system:kube-controller-manager");
    // Through the controllers' roles, bound to the controller manager here.
    expect(
      decide(resourceAttributes(manager, { verb: "create", resource: "pods", namespace: "ns1" })),
    ).toBe("allow");
    expect(
      decide(
        resourceAttributes(manager, {
          verb: "escalate",
          apiGroup: "rbac.authorization.k8s.io",
          resource: "clusterroles",
          name: "admin",
        }),
      ),
    ).toBe("allow");
    expect(
      decide(
        resourceAttributes(manager, {
          verb: "sign",
          apiGroup: "certificates.k8s.io",
          resource: "signers",
          name: "kubernetes.io/kube-apiserver-client-kubelet",
        }),
      ),
    ).toBe("allow");
    expect(
      decide(
        resourceAttributes(authenticated("bob"), {
          verb: "create",
          resource: "pods",
          namespace: "ns1",
        }),
      ),
    ).toBe("no-opinion");
  });

  test("the CSR approver roles name their signer", () => {
    const roles = new Map(defaultClusterRoles().map((r) => [r.metadata?.name, r]));
    expect(
      roles.get("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver")?.rules,
    ).toEqual([
      {
        verbs: ["approve"],
        apiGroups: ["certificates.k8s.io"],
        resources: ["signers"],
        resourceNames: ["kubernetes.io/kube-apiserver-client-kubelet"],
      },
    ]);
  });
});
