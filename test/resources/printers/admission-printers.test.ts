import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../../src/resources/kind.ts";
import { admissionPrinters } from "../../../src/resources/printers/admission-printers.ts";
import { ago, cellsByColumn, days } from "./printer-fixtures.ts";

const group = "admissionregistration.k8s.io";

describe("webhook configuration printers", () => {
  for (const resource of ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"]) {
    test(`a ${resource} entry counts its webhooks`, () => {
      const columns = admissionPrinters[`${resource}.${group}`]?.columns ?? [];
      const configuration: KubeObject = {
        metadata: { name: "policy", creationTimestamp: ago(days(1)) },
        webhooks: [{ name: "a.example.com" }, { name: "b.example.com" }],
      };
      expect(cellsByColumn(group, resource, configuration, columns)).toEqual({
        Name: "policy",
        Webhooks: 2,
        Age: "24h",
      });
      expect(cellsByColumn(group, resource, { metadata: { name: "none" } }, columns).Webhooks).toBe(
        0,
      );
    });
  }
});
