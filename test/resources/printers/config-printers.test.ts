import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { configPrinters } from "../../../src/resources/printers/config-printers.ts";
import { ago, cellsByColumn, minutes } from "./printer-fixtures.ts";

const meta = { name: "app", creationTimestamp: ago(minutes(7)) };

describe("config printers", () => {
  test("a config map counts data and binaryData keys", () => {
    const configMap: KubeObject = {
      metadata: meta,
      data: { "a.conf": "x", "b.conf": "y" },
      binaryData: { logo: "iVBORw0K" },
    };
    const columns = configPrinters.configmaps?.columns ?? [];
    expect(cellsByColumn("", "configmaps", configMap, columns)).toEqual({
      Name: "app",
      Data: 3,
      Age: "7m",
    });
    expect(cellsByColumn("", "configmaps", { metadata: meta }, columns).Data).toBe(0);
  });

  test("a secret prints its type and counts its keys, stringData folded in", () => {
    const secret: KubeObject = {
      metadata: meta,
      type: "kubernetes.io/tls",
      data: { "tls.crt": "Y3J0", "tls.key": "a2V5" },
      stringData: { "tls.key": "key", "ca.crt": "ca" },
    };
    const columns = configPrinters.secrets?.columns ?? [];
    expect(cellsByColumn("", "secrets", secret, columns)).toEqual({
      Name: "app",
      Type: "kubernetes.io/tls",
      Data: 3,
      Age: "7m",
    });
    expect(cellsByColumn("", "secrets", { metadata: meta }, columns).Type).toBe("Opaque");
  });

  test("a service account counts its secrets", () => {
    const account: KubeObject = { metadata: meta, secrets: [{ name: "token-1" }] };
    const columns = configPrinters.serviceaccounts?.columns ?? [];
    expect(cellsByColumn("", "serviceaccounts", account, columns)).toEqual({
      Name: "app",
      Secrets: 1,
      Age: "7m",
    });
    expect(cellsByColumn("", "serviceaccounts", { metadata: meta }, columns).Secrets).toBe(0);
  });
});
