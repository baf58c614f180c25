import { describe, expect, test } from "bun:test";
import {
  SERVICE_ACCOUNT_TOKEN_MOUNT_PATH,
  ServiceAccountAdmission,
} from "../../../src/api/admission/service-account.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { kinds, MemoryReader, pod, rejection, request } from "./support.ts";

const ACCOUNTS = { group: "", resource: "serviceaccounts" };

function account(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace: "ns" },
    ...extra,
  };
}

function setup(...accounts: KubeObject[]) {
  const reader = new MemoryReader().add(ACCOUNTS, ...accounts);
  const ensured: string[] = [];
  const plugin = new ServiceAccountAdmission(reader, async (namespace) => {
    ensured.push(namespace);
  });
  return { plugin, ensured };
}

type Spec = {
  serviceAccountName?: string;
  serviceAccount?: string;
  volumes?: { name: string; projected?: unknown }[];
  containers: { name: string; volumeMounts?: unknown[] }[];
  initContainers?: { name: string; volumeMounts?: unknown[] }[];
  imagePullSecrets?: unknown[];
};

async function admit(plugin: ServiceAccountAdmission, object: KubeObject): Promise<Spec> {
  const req = request(kinds.pods, object);
  await plugin.mutate(req);
  await plugin.validate(req);
  return object.spec as Spec;
}

describe("ServiceAccountAdmission", () => {
  test("defaults the account and mounts the token volume in every container", async () => {
    const { plugin } = setup(account("default"));
    const spec = await admit(
      plugin,
      pod("p", { containers: [{ name: "a" }, { name: "b" }], initContainers: [{ name: "i" }] }),
    );
    expect(spec.serviceAccountName).toBe("default");
    expect(spec.serviceAccount).toBe("default");
    expect(spec.volumes).toHaveLength(1);
    const volume = spec.volumes?.[0] as { name: string; projected: unknown };
    expect(volume.name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(volume.projected).toEqual({
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        {
          downwardAPI: {
            items: [
              {
                path: "namespace",
                fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" },
              },
            ],
          },
        },
      ],
      defaultMode: 420,
    });
    const mount = {
      name: volume.name,
      readOnly: true,
      mountPath: SERVICE_ACCOUNT_TOKEN_MOUNT_PATH,
    };
    for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
      expect(container.volumeMounts).toEqual([mount]);
    }
  });

  test("creates a missing default account through the callback", async () => {
    const { plugin, ensured } = setup();
    const spec = await admit(plugin, pod("p", { containers: [{ name: "a" }] }));
    expect(ensured).toEqual(["ns"]);
    expect(spec.serviceAccountName).toBe("default");
    expect(spec.volumes).toHaveLength(1);
  });

  test("a dry run does not create the default account", async () => {
    const { plugin, ensured } = setup();
    const object = pod("p", { containers: [{ name: "a" }] });
    await plugin.mutate(request(kinds.pods, object, { dryRun: true }));
    expect(ensured).toEqual([]);
    expect((object.spec as Spec).serviceAccountName).toBe("default");
  });

  test("a missing named account is Forbidden with upstream's message", async () => {
    const { plugin, ensured } = setup(account("default"));
    const error = await rejection(
      admit(plugin, pod("p", { serviceAccountName: "robot", containers: [{ name: "a" }] })),
    );
    expect(error.status.code).toBe(403);
    expect(error.message).toBe(
      'pods "p" is forbidden: error looking up service account ns/robot: serviceaccount "robot" not found',
    );
    expect(ensured).toEqual([]);
  });

  test("the deprecated serviceAccount field names the account", async () => {
    const { plugin } = setup(account("robot"));
    const spec = await admit(plugin, pod("p", { serviceAccount: "robot", containers: [] }));
    expect(spec.serviceAccountName).toBe("robot");
  });

  test("automountServiceAccountToken: the pod's setting wins over the account's", async () => {
    const { plugin } = setup(
      account("default", { automountServiceAccountToken: false }),
      account("robot"),
    );
    const fromAccount = await admit(plugin, pod("a", { containers: [{ name: "c" }] }));
    expect(fromAccount.volumes).toBeUndefined();
    expect(fromAccount.containers[0]?.volumeMounts).toBeUndefined();
    const podSaysYes = await admit(
      plugin,
      pod("b", { automountServiceAccountToken: true, containers: [{ name: "c" }] }),
    );
    expect(podSaysYes.volumes).toHaveLength(1);
    const podSaysNo = await admit(
      plugin,
      pod("c", {
        serviceAccountName: "robot",
        automountServiceAccountToken: false,
        containers: [{ name: "c" }],
      }),
    );
    expect(podSaysNo.volumes).toBeUndefined();
  });

  test("containers that already mount the path are left alone", async () => {
    const { plugin } = setup(account("default"));
    const own = { name: "mine", mountPath: SERVICE_ACCOUNT_TOKEN_MOUNT_PATH };
    const spec = await admit(
      plugin,
      pod("p", {
        volumes: [{ name: "mine", emptyDir: {} }],
        containers: [{ name: "a", volumeMounts: [own] }, { name: "b" }],
      }),
    );
    expect(spec.containers[0]?.volumeMounts).toEqual([own]);
    expect(spec.containers[1]?.volumeMounts).toHaveLength(1);
    expect(spec.volumes).toHaveLength(2);
    const none = await admit(
      plugin,
      pod("q", {
        volumes: [{ name: "mine", emptyDir: {} }],
        containers: [{ name: "a", volumeMounts: [own] }],
      }),
    );
    expect(none.volumes).toEqual([{ name: "mine", emptyDir: {} } as never]);
  });

  test("an existing kube-api-access volume is reused", async () => {
    const { plugin } = setup(account("default"));
    const spec = await admit(
      plugin,
      pod("p", {
        volumes: [{ name: "kube-api-access-abcde", projected: { sources: [] } }],
        containers: [{ name: "a" }],
      }),
    );
    expect(spec.volumes).toHaveLength(1);
    expect(spec.containers[0]?.volumeMounts).toEqual([
      {
        name: "kube-api-access-abcde",
        readOnly: true,
        mountPath: SERVICE_ACCOUNT_TOKEN_MOUNT_PATH,
      },
    ]);
  });

  test("the account's image pull secrets are copied to a pod without any", async () => {
    const { plugin } = setup(account("default", { imagePullSecrets: [{ name: "registry" }] }));
    const copied = await admit(plugin, pod("a", { containers: [] }));
    expect(copied.imagePullSecrets).toEqual([{ name: "registry" }]);
    const own = await admit(
      plugin,
      pod("b", { imagePullSecrets: [{ name: "mine" }], containers: [] }),
    );
    expect(own.imagePullSecrets).toEqual([{ name: "mine" }]);
  });

  test("mirror pods are not changed, and may not reference accounts or secrets", async () => {
    const { plugin } = setup(account("default"));
    const annotations = { "kubernetes.io/config.mirror": "hash" };
    const mirror: KubeObject = {
      metadata: { name: "m", namespace: "ns", annotations },
      spec: { containers: [{ name: "a" }] },
    };
    const spec = await admit(plugin, mirror);
    expect(spec.serviceAccountName).toBeUndefined();
    expect(spec.volumes).toBeUndefined();
    const withAccount: KubeObject = {
      metadata: { name: "m", namespace: "ns", annotations },
      spec: { serviceAccountName: "default", containers: [] },
    };
    expect((await rejection(admit(plugin, withAccount))).message).toBe(
      'pods "m" is forbidden: a mirror pod may not reference service accounts',
    );
    const withSecret: KubeObject = {
      metadata: { name: "m", namespace: "ns", annotations },
      spec: { volumes: [{ name: "s", secret: { secretName: "x" } }], containers: [] },
    };
    expect((await rejection(admit(plugin, withSecret))).message).toEndWith(
      "a mirror pod may not reference secrets",
    );
  });

  test("an account enforcing mountable secrets refuses others", async () => {
    const { plugin } = setup(
      account("default", {
        metadata: {
          name: "default",
          namespace: "ns",
          annotations: { "kubernetes.io/enforce-mountable-secrets": "true" },
        },
        secrets: [{ name: "ok" }],
      }),
    );
    await admit(
      plugin,
      pod("a", { volumes: [{ name: "v", secret: { secretName: "ok" } }], containers: [] }),
    );
    const error = await rejection(
      admit(
        plugin,
        pod("b", { volumes: [{ name: "v", secret: { secretName: "no" } }], containers: [] }),
      ),
    );
    expect(error.message).toEndWith(
      'volume with secret.secretName="no" is not allowed because service account default does not reference that secret',
    );
  });

  test("updates and other kinds are ignored", async () => {
    const { plugin, ensured } = setup();
    const object = pod("p", { containers: [{ name: "a" }] });
    await plugin.mutate(request(kinds.pods, object, { operation: "UPDATE", oldObject: object }));
    await plugin.mutate(request(kinds.configMaps, { metadata: { name: "c", namespace: "ns" } }));
    expect(ensured).toEqual([]);
    expect((object.spec as Spec).serviceAccountName).toBeUndefined();
  });
});
