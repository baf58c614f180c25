import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sql } from "../../src/store/database.ts";
import { startCluster, type TestCluster } from "../support/cluster.ts";
import { certificateKubeconfig } from "../support/credentials.ts";
import { KubunProcess } from "../support/kubun-process.ts";

let cluster: TestCluster;
let sql: Sql;
let auditDir: string;
let auditLog: string;

beforeAll(async () => {
  auditDir = await mkdtemp(join(tmpdir(), "kubun-audit-"));
  auditLog = join(auditDir, "audit.log");
  cluster = await startCluster({ args: ["--audit-log", auditLog] });
  sql = cluster.db.connect({ max: 1 });
});

afterAll(async () => {
  await cluster?.stop();
  if (auditDir) await rm(auditDir, { recursive: true, force: true });
});

/** `kubun server` flags for another server of the first cluster's datastore. */
function secondServerArgs(dataDir: string, token: string): string[] {
  return [
    "server",
    "--no-agent",
    "--datastore",
    cluster.db.url,
    "--data-dir",
    dataDir,
    "--port",
    "0",
    "--bind-address",
    "127.0.0.1",
    "--advertise-address",
    "127.0.0.1",
    "--token",
    token,
  ];
}

async function firstServerToken(): Promise<string> {
  return (await readFile(join(cluster.dataDir, "token"), "utf8")).trim();
}

/** The stored cluster bootstrap data (CA, keys), as rows of the store tables. */
async function bootstrapRows() {
  const current = await sql<{ value: string }[]>`
    select value from kubun_current where key = '/kubun/bootstrap'`;
  const history = await sql<{ revision: number }[]>`
    select revision from kubun_history where key = '/kubun/bootstrap'`;
  return { current: current.map((row) => row.value), history: history.length };
}

/** Every text column of every keyed kubun_ table: where the store keeps keys and values. */
async function storeRows(): Promise<
  { table: string; column: string; key: string; text: string }[]
> {
  const columns = await sql<{ table_name: string; column_name: string }[]>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and table_name like 'kubun\\_%'
      and data_type = 'text' and column_name <> 'key'
      and table_name in (
        select table_name from information_schema.columns
        where table_schema = current_schema() and column_name = 'key')
    order by table_name, column_name`;
  const rows: { table: string; column: string; key: string; text: string }[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const found = await sql<{ key: string; text: string | null }[]>`
      select key, ${sql(column)} as text from ${sql(table)}`;
    for (const row of found) {
      if (row.text !== null) rows.push({ table, column, key: row.key, text: row.text });
    }
  }
  return rows;
}

/** Audit events in the log so far. */
async function auditEvents(): Promise<AuditEvent[]> {
  const text = existsSync(auditLog) ? await readFile(auditLog, "utf8") : "";
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditEvent);
}

interface AuditEvent {
  verb: string;
  user: { username: string; groups?: string[] };
  impersonatedUser?: { username: string };
  objectRef?: { resource: string; namespace?: string; name?: string };
  responseStatus: { code: number };
  requestURI: string;
}

/** The first audit event matching, polling while the log's buffered writes reach the file. */
async function auditEvent(match: (event: AuditEvent) => boolean): Promise<AuditEvent | undefined> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const found = (await auditEvents()).find(match);
    if (found) return found;
    await Bun.sleep(50);
  }
  return undefined;
}

describe("cluster data", () => {
  test("a second server with the cluster's token shares its CA", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "kubun-second-"));
    const before = await bootstrapRows();
    const second = new KubunProcess(secondServerArgs(dataDir, await firstServerToken()));
    try {
      await second.waitFor(/ready on https:\/\/127\.0\.0\.1:\d+/);
      const url = /ready on (https:\/\/127\.0\.0\.1:\d+)/.exec(second.stdout)?.[1] ?? "";
      expect(url).not.toBe(new URL(cluster.url).origin);

      const firstCa = await readFile(join(cluster.dataDir, "tls", "ca.crt"), "utf8");
      const secondCa = await readFile(join(dataDir, "tls", "ca.crt"), "utf8");
      expect(secondCa).toBe(firstCa);
      // Still the one stored copy: the second server opened it rather than making its own.
      expect(await bootstrapRows()).toEqual(before);

      // A client certificate from the first cluster's CA, against the second server,
      // whose serving certificate the same CA verifies.
      const { certPem, keyPem } = await certificateKubeconfig(cluster, "second-admin", [
        "system:masters",
      ]);
      const response = await fetch(`${url}/api/v1/namespaces/kube-system`, {
        tls: { ca: firstCa, cert: certPem, key: keyPem },
        keepalive: false,
      } as RequestInit);
      expect(response.status).toBe(200);
      expect(((await response.json()) as { metadata: { name: string } }).metadata.name).toBe(
        "kube-system",
      );
      const anonymous = await fetch(`${url}/api/v1/namespaces`, {
        tls: { ca: firstCa },
        keepalive: false,
      } as RequestInit);
      expect(anonymous.status).toBe(401);
    } finally {
      second.kill("SIGTERM");
      await second.exited();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test("a server with the wrong token refuses to start and makes no CA", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "kubun-wrong-token-"));
    const before = await bootstrapRows();
    expect(before.current).toHaveLength(1);
    const wrong = new KubunProcess(secondServerArgs(dataDir, "not-the-cluster-token"));
    try {
      // Either it exits, or (the bug this guards against) it comes up.
      const outcome = await Promise.race([
        wrong.exited().then((code) => ({ code })),
        wrong.waitFor(/ready on https:/).then(
          () => "ready" as const,
          () => new Promise<never>(() => {}),
        ),
      ]);
      expect(outcome).not.toBe("ready");
      expect((outcome as { code: number | null }).code).not.toBe(0);
      await wrong.exited();
      expect(wrong.stderr).toContain(
        "the server token does not open this datastore's cluster data: start with --token",
      );
      expect(existsSync(join(dataDir, "tls", "ca.crt"))).toBe(false);
      expect(existsSync(join(dataDir, "tls", "ca.key"))).toBe(false);
      // The wrong token is not kept either, and the stored data is untouched.
      expect(existsSync(join(dataDir, "token"))).toBe(false);
      expect(await bootstrapRows()).toEqual(before);
    } finally {
      wrong.kill("SIGTERM");
      await wrong.exited();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test("Secrets are encrypted at rest, ConfigMaps are not", async () => {
    const plaintext = "supersecretvalue123";
    const encoded = Buffer.from(plaintext).toString("base64");
    const visible = "plainvisiblevalue456";
    await cluster.ok(["create", "secret", "generic", "s", `--from-literal=password=${plaintext}`]);
    await cluster.ok(["create", "configmap", "c", `--from-literal=note=${visible}`]);
    // A second version of the Secret: history keeps both.
    await cluster.ok(["label", "secret", "s", "rev=two"]);

    const read = await cluster.ok(["get", "secret", "s", "-o", "jsonpath={.data.password}"]);
    expect(Buffer.from(read, "base64").toString("utf8")).toBe(plaintext);

    const rows = await storeRows();
    const tables = new Set(rows.map((row) => `${row.table}.${row.column}`));
    expect(tables).toContain("kubun_current.value");
    expect(tables).toContain("kubun_history.value");

    const leaks = rows.filter((row) => row.text.includes(plaintext) || row.text.includes(encoded));
    expect(leaks.map((row) => `${row.table}.${row.column} ${row.key}`)).toEqual([]);

    const secretRows = rows.filter((row) => row.key.endsWith("/secrets/default/s"));
    expect(secretRows.map((row) => row.table).sort()).toEqual([
      "kubun_current",
      "kubun_history",
      "kubun_history",
    ]);
    for (const row of secretRows) expect(row.text.startsWith("k8s:enc:aesgcm:v1:")).toBe(true);
    // A fresh nonce per write: the two versions differ although the data did not change.
    const versions = secretRows.filter((row) => row.table === "kubun_history").map((r) => r.text);
    expect(versions[0]).not.toBe(versions[1]);

    const configMapRows = rows.filter((row) => row.key.endsWith("/configmaps/default/c"));
    expect(configMapRows.map((row) => row.table).sort()).toEqual([
      "kubun_current",
      "kubun_history",
    ]);
    for (const row of configMapRows) {
      expect(row.text).toContain(visible);
      expect(row.text.startsWith("k8s:enc:")).toBe(false);
    }
  });

  test("the audit log has a line per request", async () => {
    const whoami = JSON.parse(await cluster.ok(["auth", "whoami", "-o", "json"])) as {
      status: { userInfo: { username: string } };
    };
    const admin = whoami.status.userInfo.username;

    await cluster.ok(["get", "pods", "-n", "default"]);
    const list = await auditEvent(
      (e) =>
        e.verb === "list" &&
        e.objectRef?.resource === "pods" &&
        e.objectRef.namespace === "default" &&
        e.user.username === admin,
    );
    expect(list?.responseStatus.code).toBe(200);

    const refused = await cluster.kubectl(["--as", "nobody", "get", "secrets", "-n", "default"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('User "nobody" cannot list resource "secrets"');
    const forbidden = await auditEvent(
      (e) =>
        e.verb === "list" &&
        e.objectRef?.resource === "secrets" &&
        e.objectRef.namespace === "default" &&
        e.responseStatus.code === 403,
    );
    expect(forbidden).toBeDefined();
    // As upstream: the requester in user, the identity it asked for in impersonatedUser.
    expect(forbidden?.user.username).toBe(admin);
    expect(forbidden?.impersonatedUser?.username).toBe("nobody");

    // One line per request: a named get is its own event.
    await cluster.ok(["get", "namespace", "kube-system"]);
    const get = await auditEvent(
      (e) =>
        e.verb === "get" &&
        e.objectRef?.resource === "namespaces" &&
        e.objectRef.name === "kube-system",
    );
    expect(get?.user.username).toBe(admin);
    expect(get?.responseStatus.code).toBe(200);
  });
});
