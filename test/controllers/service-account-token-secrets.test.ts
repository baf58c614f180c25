import { afterEach, describe, expect, test } from "bun:test";
import { secretData } from "../../src/auth/tokens/secret-data.ts";
import {
  ServiceAccountTokenSecrets,
  TOKEN_SECRETS,
} from "../../src/controllers/service-account-token-secrets.ts";
import { SharedInformers } from "../../src/controllers/shared-informers.ts";
import type { KubeObject } from "../../src/resources/kind.ts";
import { type Action, apiError, FakeClient, RecordingLogger } from "./fake-client.ts";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const SA_PATH = "/api/v1/namespaces/team/serviceaccounts/build";
const SECRET_PATH = "/api/v1/namespaces/team/secrets/build-token";
const b64 = (value: string) => Buffer.from(value).toString("base64");

const account = (uid = "sa-uid", name = "build"): KubeObject => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace: "team", uid, resourceVersion: "3" },
});

function tokenSecret(
  options: {
    name?: string;
    account?: string;
    uid?: string;
    data?: Record<string, string>;
    type?: string;
    resourceVersion?: string;
  } = {},
): KubeObject {
  const annotations: Record<string, string> = {};
  if (options.account !== "")
    annotations["kubernetes.io/service-account.name"] = options.account ?? "build";
  if (options.uid) annotations["kubernetes.io/service-account.uid"] = options.uid;
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: options.type ?? "kubernetes.io/service-account-token",
    metadata: {
      name: options.name ?? "build-token",
      namespace: "team",
      uid: "secret-uid",
      resourceVersion: options.resourceVersion ?? "7",
      annotations,
    },
    ...(options.data ? { data: options.data } : {}),
  };
}

const populated = {
  token: b64("old-token"),
  "ca.crt": b64(CA),
  namespace: b64("team"),
};

describe("ServiceAccountTokenSecrets", () => {
  let controller: ServiceAccountTokenSecrets | undefined;
  afterEach(() => controller?.loop.stop());

  /**
   * A controller whose caches hold `cached`; `live` answers the API's GETs by path (absent:
   * 404), writes echo their body unless `respond` says otherwise.
   */
  function setUp(
    cached: { accounts?: KubeObject[]; secrets?: KubeObject[] },
    live: Record<string, KubeObject> = {},
    respond?: (action: Action) => KubeObject | undefined,
  ) {
    const fake = new FakeClient();
    fake.respond = (action) => {
      const answer = respond?.(action);
      if (answer !== undefined) return answer;
      return action.verb === "get" ? live[action.path] : (action.body ?? {});
    };
    const client = fake.asClient();
    const issued: unknown[][] = [];
    controller = new ServiceAccountTokenSecrets({
      client,
      informers: new SharedInformers(client, new RecordingLogger()),
      issueLegacyToken: async (...args) => {
        issued.push(args);
        return `token-${issued.length}`;
      },
      caPem: CA,
      log: new RecordingLogger(),
    });
    controller.serviceAccounts.replace(cached.accounts ?? [], "1");
    controller.secrets.replace(cached.secrets ?? [], "1");
    return { fake, controller, issued };
  }

  test("watches only service-account-token Secrets", () => {
    expect(TOKEN_SECRETS.fieldSelector).toBe("type=kubernetes.io/service-account-token");
  });

  test("fills token, ca.crt and namespace of a new token Secret, and records the uid", async () => {
    const secret = tokenSecret();
    const { fake, controller, issued } = setUp(
      { accounts: [account()], secrets: [secret] },
      { [SECRET_PATH]: secret },
    );
    await controller.sync("team/build-token");
    expect(fake.writes()).toEqual([`update ${SECRET_PATH}`]);
    expect(issued).toEqual([["team", { name: "build", uid: "sa-uid" }, { name: "build-token" }]]);
    const written = fake.actions.find((a) => a.verb === "update")?.body as KubeObject;
    expect(secretData(written, "token")).toBe("token-1");
    expect(secretData(written, "ca.crt")).toBe(CA);
    expect(secretData(written, "namespace")).toBe("team");
    expect(written.metadata?.annotations).toEqual({
      "kubernetes.io/service-account.name": "build",
      "kubernetes.io/service-account.uid": "sa-uid",
    });
    // The live copy's version goes back, so a concurrent change conflicts instead of being lost.
    expect(written.metadata?.resourceVersion).toBe("7");
  });

  test("leaves a populated Secret alone", async () => {
    const secret = tokenSecret({ uid: "sa-uid", data: populated });
    const { fake, controller, issued } = setUp({ accounts: [account()], secrets: [secret] });
    await controller.sync("team/build-token");
    expect(fake.actions).toEqual([]);
    expect(issued).toEqual([]);
  });

  test("keeps an existing token and only repairs what is missing or stale", async () => {
    const secret = tokenSecret({
      data: { token: populated.token, "ca.crt": b64("another CA"), extra: b64("kept") },
    });
    const { fake, controller, issued } = setUp(
      { accounts: [account()], secrets: [secret] },
      { [SECRET_PATH]: secret },
    );
    await controller.sync("team/build-token");
    expect(issued).toEqual([]);
    const written = fake.actions.find((a) => a.verb === "update")?.body as KubeObject;
    expect(written.data).toEqual({ ...populated, extra: b64("kept") });
  });

  test("deletes a Secret whose ServiceAccount does not exist, guarded by the Secret's uid", async () => {
    const secret = tokenSecret();
    const { fake, controller, issued } = setUp({ secrets: [secret] });
    await controller.sync("team/build-token");
    // Not in the cache: the API is asked before the Secret goes.
    expect(fake.actions.map((a) => `${a.verb} ${a.path}`)).toEqual([
      `get ${SA_PATH}`,
      `delete ${SECRET_PATH}`,
    ]);
    expect(fake.actions[1]?.options).toEqual({ preconditions: { uid: "secret-uid" } });
    expect(issued).toEqual([]);
  });

  test("deletes a Secret whose ServiceAccount was re-created (uid differs)", async () => {
    const secret = tokenSecret({ uid: "old-uid", data: populated });
    const { fake, controller } = setUp(
      { accounts: [account("new-uid")], secrets: [secret] },
      { [SA_PATH]: account("new-uid") },
    );
    await controller.sync("team/build-token");
    expect(fake.writes()).toEqual([`delete ${SECRET_PATH}`]);
  });

  test("finds a ServiceAccount its cache has not seen yet", async () => {
    const secret = tokenSecret();
    const { fake, controller, issued } = setUp(
      { secrets: [secret] },
      { [SA_PATH]: account(), [SECRET_PATH]: secret },
    );
    await controller.sync("team/build-token");
    expect(fake.writes()).toEqual([`update ${SECRET_PATH}`]);
    expect(issued).toHaveLength(1);
  });

  test("waits when its copy of the Secret is stale", async () => {
    const secret = tokenSecret();
    const { fake, controller, issued } = setUp(
      { accounts: [account()], secrets: [secret] },
      { [SECRET_PATH]: tokenSecret({ resourceVersion: "8" }) },
    );
    await controller.sync("team/build-token");
    expect(fake.writes()).toEqual([]);
    expect(issued).toEqual([]);
  });

  test("a conflict or a vanished Secret ends the sync quietly; other failures are retried", async () => {
    const secret = tokenSecret();
    for (const [code, reason] of [
      [409, "Conflict"],
      [404, "NotFound"],
    ] as const) {
      const { controller } = setUp(
        { accounts: [account()], secrets: [secret] },
        { [SECRET_PATH]: secret },
        (action) => {
          if (action.verb === "update") throw apiError(code, reason);
          return undefined;
        },
      );
      await controller.sync("team/build-token");
    }
    const { controller } = setUp(
      { accounts: [account()], secrets: [secret] },
      { [SECRET_PATH]: secret },
      (action) => {
        if (action.verb === "update") throw apiError(500, "InternalError");
        return undefined;
      },
    );
    await expect(controller.sync("team/build-token")).rejects.toThrow("InternalError");
  });

  test("a deletion that finds the Secret gone or replaced is done", async () => {
    for (const [code, reason] of [
      [404, "NotFound"],
      [409, "Conflict"],
    ] as const) {
      const { fake, controller } = setUp({ secrets: [tokenSecret()] }, {}, (action) => {
        if (action.verb === "delete") throw apiError(code, reason);
        return undefined;
      });
      await controller.sync("team/build-token");
      expect(fake.writes()).toEqual([`delete ${SECRET_PATH}`]);
    }
  });

  test("ignores Secrets of other types, without the name annotation, or gone", async () => {
    const { fake, controller } = setUp({
      accounts: [account()],
      secrets: [
        tokenSecret({ name: "opaque", type: "Opaque" }),
        tokenSecret({ name: "unnamed", account: "" }),
      ],
    });
    await controller.sync("team/opaque");
    await controller.sync("team/unnamed");
    await controller.sync("team/missing");
    expect(fake.actions).toEqual([]);
  });

  test("a ServiceAccount's deletion re-checks the Secrets naming it", async () => {
    const sa = account();
    const { controller } = setUp({
      accounts: [sa, account("other-uid", "other")],
      secrets: [tokenSecret(), tokenSecret({ name: "other-token", account: "other" })],
    });
    await Bun.sleep(0);
    while (controller.loop.queue.length > 0) {
      const key = await controller.loop.queue.get();
      if (key !== undefined) controller.loop.queue.done(key);
    }
    controller.serviceAccounts.deleted(sa);
    await Bun.sleep(0);
    expect(controller.loop.queue.length).toBe(1);
    expect(await controller.loop.queue.get()).toBe("team/build-token");
  });
});
