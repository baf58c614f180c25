import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import {
  CertificateAuthority,
  certificateKubeconfig,
  clusterFetch,
  tokenKubeconfig,
} from "../support/credentials.ts";
import { runKubun } from "../support/kubun-process.ts";

let cluster: TestCluster;
const staticToken = "static-token-for-carol-0123456789";

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "kubun-tokens-"));
  const tokenFile = join(dir, "tokens.csv");
  await writeFile(tokenFile, `${staticToken},carol,carol-uid,"devs,ops"\n`);
  cluster = await startCluster({ args: ["--token-auth-file", tokenFile] });
  // The server reads the file at start.
  await rm(dir, { recursive: true, force: true });
});

afterAll(async () => {
  await cluster?.stop();
});

/** `kubectl auth whoami -o json` with a kubeconfig: the user the server saw, or the failure. */
async function whoami(kubeconfig: string) {
  const result = await cluster.kubectl(["auth", "whoami", "-o", "json"], {
    env: { KUBECONFIG: kubeconfig },
  });
  if (result.code !== 0) return { error: result.stderr };
  const review = JSON.parse(result.stdout);
  return { user: review.status.userInfo as { username: string; groups: string[] } };
}

describe("authentication", () => {
  test("without credentials: /version and /healthz answer, resources are 401", async () => {
    expect((await clusterFetch(cluster, "/version")).status).toBe(200);
    expect((await clusterFetch(cluster, "/healthz")).status).toBe(200);
    const denied = await clusterFetch(cluster, "/api/v1/namespaces/default/pods");
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { reason: string }).reason).toBe("Unauthorized");
  });

  test("a client certificate from another CA is refused", async () => {
    const other = await CertificateAuthority.create({ commonName: "someone-else" });
    const { certPem, keyPem } = await certificateKubeconfig(
      cluster,
      "mallory",
      ["system:masters"],
      {
        ca: other,
      },
    );
    const response = await clusterFetch(cluster, "/api/v1/namespaces", {
      cert: certPem,
      key: keyPem,
    });
    expect(response.status).toBe(401);
  });

  test("an expired client certificate is refused", async () => {
    // Valid for three seconds: it works at first, then the same credentials stop working.
    const { certPem, keyPem } = await certificateKubeconfig(cluster, "brief", ["system:masters"], {
      validityDays: 3 / 86400,
    });
    const first = await clusterFetch(cluster, "/api/v1/namespaces", { cert: certPem, key: keyPem });
    expect(first.status).toBe(200);
    let status = first.status;
    for (let attempt = 0; attempt < 100 && status !== 401; attempt++) {
      await Bun.sleep(100);
      status = (await clusterFetch(cluster, "/api/v1/namespaces", { cert: certPem, key: keyPem }))
        .status;
    }
    expect(status).toBe(401);
  });

  test("a bootstrap token works until it is deleted", async () => {
    const created = await runKubun(["token", "create", "--data-dir", cluster.dataDir]);
    expect(created.code).toBe(0);
    const token = /--token (\S+)/.exec(created.stdout)?.[1] ?? "";
    expect(token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(created.stdout).toMatch(/--ca-cert-hash sha256:[0-9a-f]{64}/);
    const kubeconfig = await tokenKubeconfig(cluster, token);
    const seen = await whoami(kubeconfig);
    expect(seen.user?.username).toBe(`system:bootstrap:${token.split(".")[0]}`);
    expect(seen.user?.groups).toContain("system:bootstrappers");

    const listed = await runKubun(["token", "list", "--data-dir", cluster.dataDir]);
    expect(listed.stdout).toContain(token);
    const deleted = await runKubun([
      "token",
      "delete",
      token.split(".")[0] ?? "",
      "--data-dir",
      cluster.dataDir,
    ]);
    expect(deleted.code).toBe(0);
    expect((await whoami(kubeconfig)).error).toContain("Unauthorized");
  });

  test("an expired bootstrap token is refused", async () => {
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "bootstrap-token-old123", namespace: "kube-system" },
      type: "bootstrap.kubernetes.io/token",
      data: {
        "token-id": b64("old123"),
        "token-secret": b64("0123456789abcdef"),
        expiration: b64("2020-01-01T00:00:00Z"),
        "usage-bootstrap-authentication": b64("true"),
      },
    };
    await cluster.ok(["apply", "-f", "-"], { input: JSON.stringify(secret) });
    const kubeconfig = await tokenKubeconfig(cluster, "old123.0123456789abcdef");
    expect((await whoami(kubeconfig)).error).toContain("Unauthorized");
  });

  test("a service account token stops working when its account is deleted", async () => {
    await cluster.ok(["create", "serviceaccount", "robot"]);
    const token = (await cluster.ok(["create", "token", "robot"])).trim();
    const kubeconfig = await tokenKubeconfig(cluster, token);
    const seen = await whoami(kubeconfig);
    expect(seen.user?.username).toBe("system:serviceaccount:default:robot");
    expect(seen.user?.groups).toContain("system:serviceaccounts:default");

    await cluster.ok(["delete", "serviceaccount", "robot"]);
    expect((await whoami(kubeconfig)).error).toContain("Unauthorized");
  });

  test("a token bound to a pod stops working when the pod is deleted", async () => {
    await cluster.ok(["create", "serviceaccount", "bound"]);
    await cluster.ok([
      "run",
      "holder",
      "--image",
      "busybox",
      "--overrides",
      '{"spec":{"serviceAccountName":"bound"}}',
    ]);
    const token = (
      await cluster.ok([
        "create",
        "token",
        "bound",
        "--bound-object-kind",
        "Pod",
        "--bound-object-name",
        "holder",
      ])
    ).trim();
    const kubeconfig = await tokenKubeconfig(cluster, token);
    expect((await whoami(kubeconfig)).user?.username).toBe("system:serviceaccount:default:bound");
    await cluster.ok(["delete", "pod", "holder", "--grace-period", "0", "--force"]);
    expect((await whoami(kubeconfig)).error).toContain("Unauthorized");
  });

  test("a static token file names users and groups", async () => {
    const seen = await whoami(await tokenKubeconfig(cluster, staticToken));
    expect(seen.user?.username).toBe("carol");
    expect(seen.user?.groups).toEqual(["devs", "ops", "system:authenticated"]);
    expect((await whoami(await tokenKubeconfig(cluster, "not-a-known-token"))).error).toContain(
      "Unauthorized",
    );
  });

  test("TokenReview says who a token belongs to", async () => {
    await cluster.ok(["create", "serviceaccount", "reviewed"]);
    const token = (await cluster.ok(["create", "token", "reviewed"])).trim();
    const review = (token: string) =>
      cluster.ok(["create", "--raw", "/apis/authentication.k8s.io/v1/tokenreviews", "-f", "-"], {
        input: JSON.stringify({
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenReview",
          spec: { token },
        }),
      });
    const good = JSON.parse(await review(token));
    expect(good.status.authenticated).toBe(true);
    expect(good.status.user.username).toBe("system:serviceaccount:default:reviewed");
    const bad = JSON.parse(await review(`${token}x`));
    expect(bad.status.authenticated).toBe(false);
  });

  test("kubun kubeconfig issues a client certificate for a user and groups", async () => {
    const path = join(cluster.dataDir, "zoe.kubeconfig");
    const issued = await runKubun([
      "kubeconfig",
      "--user",
      "zoe",
      "--group",
      "auditors",
      "--group",
      "devs",
      "--data-dir",
      cluster.dataDir,
      "-o",
      path,
    ]);
    expect(issued.code).toBe(0);
    const seen = await whoami(path);
    expect(seen.user?.username).toBe("zoe");
    expect(seen.user?.groups).toEqual(["auditors", "devs", "system:authenticated"]);
    const missing = await runKubun(["kubeconfig", "--data-dir", cluster.dataDir]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("--user is required");
  });

  test("impersonation needs the impersonate verb", async () => {
    const asBob = await cluster.ok([
      "auth",
      "whoami",
      "--as",
      "bob",
      "--as-group",
      "team",
      "-o",
      "json",
    ]);
    const info = JSON.parse(asBob).status.userInfo;
    expect(info.username).toBe("bob");
    expect(info.groups).toEqual(["team", "system:authenticated"]);

    const plain = await certificateKubeconfig(cluster, "dave");
    const refused = await cluster.kubectl(["get", "pods", "--as", "bob"], {
      env: { KUBECONFIG: plain.path },
    });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'users "bob" is forbidden: User "dave" cannot impersonate resource "users"',
    );
  });
});
