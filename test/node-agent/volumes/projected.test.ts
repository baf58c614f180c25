import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { ApiClient } from "../../../src/client/api-client.ts";
import type { VolumeManager } from "../../../src/node-agent/volumes/volume-manager.ts";
import type { KubeObject } from "../../../src/resources/kind.ts";
import {
  b64,
  dataDir,
  mountLine,
  read,
  thrownMessage,
  type VolumeFixture,
  visibleNames,
  volumeFixture,
} from "./volume-fixtures.ts";

const namespace = "projected";
let fx: VolumeFixture;

/** Counts TokenRequests, to see when the manager renews. */
class CountingClient extends ApiClient {
  tokenRequests = 0;
  override create<T extends KubeObject>(path: string, object: T): Promise<T> {
    if (path.endsWith("/token")) this.tokenRequests++;
    return super.create(path, object);
  }
}

interface Review {
  status?: {
    authenticated?: boolean;
    user?: { username?: string; extra?: Record<string, string[]> };
    audiences?: string[];
    error?: string;
  };
}

async function review(token: string, audiences: string[] = []): Promise<Review> {
  return fx.client.create<KubeObject>("/apis/authentication.k8s.io/v1/tokenreviews", {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenReview",
    spec: { token, ...(audiences.length ? { audiences } : {}) },
  }) as Promise<Review>;
}

function claims(token: string): { iat: number; exp: number; aud: string[] } {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
}

async function createPod(name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  return fx.client.create<KubeObject>(fx.path("pods"), {
    metadata: { name, labels: { app: name } },
    spec: { containers: [{ name: "main", image: "busybox" }], ...spec },
  });
}

const tokenVolume = (expirationSeconds?: number, audience?: string) => ({
  name: "token",
  projected: {
    sources: [
      {
        serviceAccountToken: {
          path: "token",
          ...(expirationSeconds ? { expirationSeconds } : {}),
          ...(audience ? { audience } : {}),
        },
      },
    ],
  },
});

beforeAll(async () => {
  fx = await volumeFixture(namespace);
  await fx.client.create(fx.path("serviceaccounts"), { metadata: { name: "builder" } });
  await fx.client.create(fx.path("configmaps"), {
    metadata: { name: "settings" },
    data: { "app.conf": "color=blue\n" },
  });
  await fx.client.create(fx.path("secrets"), {
    metadata: { name: "credentials" },
    data: { password: b64("p@ss") },
  });
  // The admission-injected volume needs the CA ConfigMap the controller publishes.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fx.client.get(fx.path("configmaps", "kube-root-ca.crt"));
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await Bun.sleep(200);
    }
  }
}, 90_000);
afterAll(() => fx.stop());

describe("projected volumes", () => {
  test("token, configMap, secret and downwardAPI in one directory, on tmpfs", async () => {
    const pod = await createPod("mixed", {
      serviceAccountName: "builder",
      volumes: [
        {
          name: "bundle",
          projected: {
            defaultMode: 0o440,
            sources: [
              {
                serviceAccountToken: {
                  path: "vault/token",
                  audience: "vault",
                  expirationSeconds: 7200,
                },
              },
              {
                configMap: {
                  name: "settings",
                  items: [{ key: "app.conf", path: "conf/app.conf" }],
                },
              },
              {
                secret: {
                  name: "credentials",
                  items: [{ key: "password", path: "pw", mode: 0o400 }],
                },
              },
              {
                downwardAPI: {
                  items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }],
                },
              },
            ],
          },
        },
      ],
    });
    const volumes = fx.manager();
    const dir = (await volumes.setUp(pod)).get("bundle") as string;
    expect(dir).toEndWith("volumes/kubernetes.io~projected/bundle");
    expect((await mountLine(dir))?.split(" ")[2]).toBe("tmpfs");
    expect(await visibleNames(dir)).toEqual(["conf", "labels", "pw", "vault"]);
    expect(await read(join(dir, "conf/app.conf"))).toBe("color=blue\n");
    expect(await read(join(dir, "pw"))).toBe("p@ss");
    expect((await stat(join(dir, "pw"))).mode & 0o777).toBe(0o400);
    expect(await read(join(dir, "labels"))).toBe('app="mixed"');
    expect((await stat(join(dir, "vault/token"))).mode & 0o777).toBe(0o440);

    const token = await read(join(dir, "vault/token"));
    const { iat, exp, aud } = claims(token);
    expect(exp - iat).toBe(7200);
    expect(aud).toEqual(["vault"]);
    const answer = await review(token, ["vault"]);
    expect(answer.status?.authenticated).toBe(true);
    expect(answer.status?.user?.username).toBe(`system:serviceaccount:${namespace}:builder`);
    expect(answer.status?.user?.extra?.["authentication.kubernetes.io/pod-name"]).toEqual([
      "mixed",
    ]);
    expect(answer.status?.user?.extra?.["authentication.kubernetes.io/pod-uid"]).toEqual([
      pod.metadata?.uid as string,
    ]);
    // Bound to the audience it asked for: the API server's own audience is refused.
    expect((await review(token)).status?.authenticated).toBe(false);
    await volumes.tearDown(pod.metadata?.uid as string);
  });

  test("the admission-injected kube-api-access volume gives a working API token", async () => {
    const pod = await createPod("injected", {});
    const volume = ((pod.spec as { volumes?: { name: string }[] }).volumes ?? []).find((v) =>
      v.name.startsWith("kube-api-access-"),
    );
    expect(volume).toBeDefined();
    const volumes = fx.manager();
    const dir = (await volumes.setUp(pod)).get(volume?.name as string) as string;
    expect(await visibleNames(dir)).toEqual(["ca.crt", "namespace", "token"]);
    expect(await read(join(dir, "namespace"))).toBe(namespace);
    expect(await read(join(dir, "ca.crt"))).toContain("BEGIN CERTIFICATE");
    const answer = await review(await read(join(dir, "token")));
    expect(answer.status?.authenticated).toBe(true);
    expect(answer.status?.user?.username).toBe(`system:serviceaccount:${namespace}:default`);
    // The token authenticates the pod against the API as itself.
    const asPod = new ApiClient({
      server: fx.cluster.url,
      ca: await read(join(dir, "ca.crt")),
      token: await read(join(dir, "token")),
    });
    const self = await asPod.create<KubeObject>(
      "/apis/authentication.k8s.io/v1/selfsubjectreviews",
      { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" },
    );
    expect((self.status as { userInfo?: { username?: string } }).userInfo?.username).toBe(
      `system:serviceaccount:${namespace}:default`,
    );
    await volumes.tearDown(pod.metadata?.uid as string);
  });

  test("failing sources are all reported and nothing is written", async () => {
    const pod = await createPod("broken", {
      automountServiceAccountToken: false,
      volumes: [
        {
          name: "bundle",
          projected: {
            sources: [
              { configMap: { name: "gone" } },
              { secret: { name: "gone" } },
              { configMap: { name: "gone-too", optional: true } },
            ],
          },
        },
      ],
    });
    const volumes = fx.manager();
    expect(await thrownMessage(volumes.setUp(pod))).toBe(
      'MountVolume.SetUp failed for volume "bundle" : [configmap "gone" not found, secret "gone" not found]',
    );
    const podDir = volumes.podVolumesDir(pod.metadata?.uid as string);
    expect(await Bun.file(join(podDir, "kubernetes.io~projected/bundle/..data")).exists()).toBe(
      false,
    );
    await fx.client.create(fx.path("serviceaccounts"), { metadata: { name: "gone-soon" } });
    const orphan = await createPod("orphan", {
      serviceAccountName: "gone-soon",
      automountServiceAccountToken: false,
      volumes: [tokenVolume()],
    });
    await fx.client.delete(fx.path("serviceaccounts", "gone-soon"));
    expect(await thrownMessage(volumes.setUp(orphan))).toBe(
      `MountVolume.SetUp failed for volume "token" : failed to fetch token: serviceaccounts "gone-soon" not found`,
    );
  });
});

describe("token renewal", () => {
  const hour = 3600 * 1000;
  let clock = Date.now();
  let client: CountingClient;
  let volumes: VolumeManager;

  beforeAll(() => {
    client = new CountingClient(fx.client.config);
    volumes = fx.manager({ client, now: () => clock });
  });

  test("after 80% of the lifetime, not before; the update is atomic", async () => {
    const pod = await createPod("renewing", {
      automountServiceAccountToken: false,
      volumes: [tokenVolume(3600)],
    });
    clock = Date.now();
    const dir = (await volumes.setUp(pod)).get("token") as string;
    expect(client.tokenRequests).toBe(1);
    const first = await read(join(dir, "token"));
    const firstData = await dataDir(dir);

    clock += 0.7 * hour;
    await volumes.refresh(pod);
    expect(client.tokenRequests).toBe(1);
    expect(await read(join(dir, "token"))).toBe(first);

    clock += 0.15 * hour;
    await volumes.refresh(pod);
    expect(client.tokenRequests).toBe(2);
    const second = await read(join(dir, "token"));
    expect(second).not.toBe(first);
    expect((await review(second)).status?.authenticated).toBe(true);
    expect(await dataDir(dir)).not.toBe(firstData);
    await volumes.tearDown(pod.metadata?.uid as string);
  });

  test("long-lived tokens are renewed once they are 24 hours old", async () => {
    const pod = await createPod("long-lived", {
      automountServiceAccountToken: false,
      volumes: [tokenVolume(48 * 3600)],
    });
    const start = Date.now();
    clock = start;
    const before = client.tokenRequests;
    const dir = (await volumes.setUp(pod)).get("token") as string;
    const first = await read(join(dir, "token"));
    clock = start + 23 * hour;
    await volumes.refresh(pod);
    expect(client.tokenRequests).toBe(before + 1);
    clock = start + 24 * hour + 60_000;
    await volumes.refresh(pod);
    expect(client.tokenRequests).toBe(before + 2);
    expect(await read(join(dir, "token"))).not.toBe(first);
    await volumes.tearDown(pod.metadata?.uid as string);
  });

  test("a failed renewal keeps the valid token, and fails once it has expired", async () => {
    await fx.client.create(fx.path("serviceaccounts"), { metadata: { name: "temporary" } });
    const pod = await createPod("fragile", {
      serviceAccountName: "temporary",
      automountServiceAccountToken: false,
      volumes: [tokenVolume(3600)],
    });
    const start = Date.now();
    clock = start;
    const dir = (await volumes.setUp(pod)).get("token") as string;
    const first = await read(join(dir, "token"));
    await fx.client.delete(fx.path("serviceaccounts", "temporary"));

    clock = start + 0.9 * hour;
    await volumes.refresh(pod);
    expect(await read(join(dir, "token"))).toBe(first);

    clock = start + 1.1 * hour;
    const message = await thrownMessage(volumes.refresh(pod));
    expect(message).toStartWith('MountVolume.SetUp failed for volume "token" : token for');
    expect(message).toContain("expired and refresh failed");
    expect(await read(join(dir, "token"))).toBe(first);
    await volumes.tearDown(pod.metadata?.uid as string);
  });

  test("tear-down forgets the pod's tokens", async () => {
    const pod = await createPod("again", {
      automountServiceAccountToken: false,
      volumes: [tokenVolume(3600)],
    });
    clock = Date.now();
    const before = client.tokenRequests;
    await volumes.setUp(pod);
    await volumes.setUp(pod);
    expect(client.tokenRequests).toBe(before + 1);
    await volumes.tearDown(pod.metadata?.uid as string);
    await volumes.setUp(pod);
    expect(client.tokenRequests).toBe(before + 2);
    await volumes.tearDown(pod.metadata?.uid as string);
  });
});
