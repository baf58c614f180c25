import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AddressInfo } from "node:net";
import { connect, createServer, type Server, type TLSSocket } from "node:tls";
import { CertificateAuthority } from "../../src/tls/certificate-authority.ts";
import { identityFromCertificate } from "../../src/tls/peer-certificate.ts";
import { loadOrCreatePki, type Pki } from "../../src/tls/pki-files.ts";
import { scratchDir } from "./openssl.ts";

interface Seen {
  authorized: boolean;
  subject: { CN?: string; O?: string | string[] };
  identity: { user: string; groups: string[] };
}

// The API server's mutual-TLS path (DESIGN.md): a node:tls server that
// requires a client certificate from the cluster CA and reads CN/O from it.
describe("mutual TLS with the cluster PKI", () => {
  const scratch = scratchDir();
  let pki: Pki;
  let server: Server;
  let port: number;
  const seen: Seen[] = [];

  beforeAll(async () => {
    pki = await loadOrCreatePki(`${scratch.path}/tls`, { sans: {}, hostname: "node-a" });
    server = createServer({
      cert: pki.serving.certPem,
      key: pki.serving.keyPem,
      ca: [pki.ca.certPem],
      requestCert: true,
      rejectUnauthorized: true,
    });
    server.on("secureConnection", (socket: TLSSocket) => {
      const peer = socket.getPeerCertificate();
      const entry: Seen = {
        authorized: socket.authorized,
        subject: peer.subject as Seen["subject"],
        identity: identityFromCertificate(peer.raw),
      };
      seen.push(entry);
      socket.end(JSON.stringify(entry.identity));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    scratch.remove();
  });

  // Connects, returns what the server answered, or rejects with the TLS error.
  function request(options: {
    cert?: string;
    key?: string;
    ca: string;
    host?: string;
  }): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: options.host ?? "127.0.0.1",
        port,
        ca: [options.ca],
        ...(options.cert === undefined ? {} : { cert: options.cert, key: options.key }),
      });
      let body = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        body += chunk;
      });
      socket.on("end", () =>
        body === "" ? reject(new Error("closed without answer")) : resolve(body),
      );
      socket.on("error", reject);
    });
  }

  test("the server reads CN and O of a client certificate issued by the CA", async () => {
    const client = await pki.ca.issue({
      commonName: "system:node:worker-1",
      organizations: ["system:nodes"],
      usages: ["clientAuth"],
      validityDays: 1,
    });
    const answer = await request({ cert: client.certPem, key: client.keyPem!, ca: pki.ca.certPem });
    expect(JSON.parse(answer)).toEqual({ user: "system:node:worker-1", groups: ["system:nodes"] });
    const last = seen.at(-1)!;
    expect(last.authorized).toBe(true);
    expect(last.subject.CN).toBe("system:node:worker-1");
    expect(last.subject.O).toBe("system:nodes");
  });

  test("getPeerCertificate shows several O values, and identityFromCertificate keeps them all", async () => {
    const client = await pki.ca.issue({
      commonName: "jane",
      organizations: ["system:masters", "developers"],
      usages: ["clientAuth"],
      validityDays: 1,
    });
    const answer = await request({ cert: client.certPem, key: client.keyPem!, ca: pki.ca.certPem });
    expect(JSON.parse(answer)).toEqual({ user: "jane", groups: ["system:masters", "developers"] });
    expect(seen.at(-1)!.subject.O).toEqual(["system:masters", "developers"]);
  });

  test("the client verifies the serving certificate against the CA for 127.0.0.1 and localhost", async () => {
    const client = await pki.ca.issue({ commonName: "u", usages: ["clientAuth"], validityDays: 1 });
    const answer = await request({
      cert: client.certPem,
      key: client.keyPem!,
      ca: pki.ca.certPem,
      host: "localhost",
    });
    expect(JSON.parse(answer).user).toBe("u");
  });

  test("a client that trusts another CA refuses the server", async () => {
    const other = await CertificateAuthority.create({ commonName: "kubun-ca" });
    await expect(request({ ca: other.certPem })).rejects.toThrow(/self.signed certificate/i);
  });

  test("the server refuses a client certificate from another CA", async () => {
    const other = await CertificateAuthority.create({ commonName: "kubun-ca" });
    const client = await other.issue({
      commonName: "mallory",
      usages: ["clientAuth"],
      validityDays: 1,
    });
    const before = seen.length;
    await expect(
      request({ cert: client.certPem, key: client.keyPem!, ca: pki.ca.certPem }),
    ).rejects.toThrow(/closed without answer|alert|certificate/i);
    expect(seen.length).toBe(before);
  });

  test("the server refuses a client without a certificate", async () => {
    const before = seen.length;
    await expect(request({ ca: pki.ca.certPem })).rejects.toThrow(
      /certificate.required|closed without answer/i,
    );
    expect(seen.length).toBe(before);
  });
});
