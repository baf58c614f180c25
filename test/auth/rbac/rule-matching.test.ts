import { describe, expect, test } from "bun:test";
import type { PolicyRule } from "../../../src/auth/rbac/policy-rule.ts";
import { ruleAllows, rulesAllow } from "../../../src/auth/rbac/rule-matching.ts";
import type { Attributes } from "../../../src/auth/types.ts";
import { nonResourceAttributes, resourceAttributes, userInfo } from "./fixtures.ts";

const alice = userInfo("alice");
const request = (overrides: Partial<Attributes>) => resourceAttributes(alice, overrides);

describe("ruleAllows for resource requests", () => {
  test.each<[string, PolicyRule, Partial<Attributes>, boolean]>([
    ["a listed verb", { verbs: ["get", "list"], apiGroups: [""], resources: ["pods"] }, {}, true],
    [
      "an unlisted verb",
      { verbs: ["get"], apiGroups: [""], resources: ["pods"] },
      { verb: "delete" },
      false,
    ],
    [
      "the verb wildcard",
      { verbs: ["*"], apiGroups: [""], resources: ["pods"] },
      { verb: "escalate" },
      true,
    ],
    ["another API group", { verbs: ["get"], apiGroups: ["apps"], resources: ["pods"] }, {}, false],
    [
      "the group wildcard",
      { verbs: ["get"], apiGroups: ["*"], resources: ["deployments"] },
      { apiGroup: "apps", resource: "deployments" },
      true,
    ],
    ["no API groups at all", { verbs: ["get"], resources: ["pods"] }, {}, false],
    [
      "the resource wildcard",
      { verbs: ["get"], apiGroups: [""], resources: ["*"] },
      { resource: "secrets" },
      true,
    ],
    [
      "the resource wildcard for a subresource",
      { verbs: ["get"], apiGroups: [""], resources: ["*"] },
      { subresource: "log" },
      true,
    ],
    [
      "a subresource named with its resource",
      { verbs: ["get"], apiGroups: [""], resources: ["pods/log"] },
      { subresource: "log" },
      true,
    ],
    [
      "a subresource when only the resource is listed",
      { verbs: ["get"], apiGroups: [""], resources: ["pods"] },
      { subresource: "log" },
      false,
    ],
    [
      "the resource when only a subresource is listed",
      { verbs: ["get"], apiGroups: [""], resources: ["pods/log"] },
      {},
      false,
    ],
    [
      "*/scale for any resource's scale",
      { verbs: ["get"], apiGroups: ["*"], resources: ["*/scale"] },
      { apiGroup: "apps", resource: "deployments", subresource: "scale" },
      true,
    ],
    [
      "*/scale for the resource itself",
      { verbs: ["get"], apiGroups: ["*"], resources: ["*/scale"] },
      { apiGroup: "apps", resource: "deployments" },
      false,
    ],
    [
      "*/scale for another subresource",
      { verbs: ["get"], apiGroups: ["*"], resources: ["*/scale"] },
      { apiGroup: "apps", resource: "deployments", subresource: "status" },
      false,
    ],
    // Upstream has no "resource/*" wildcard: it names a subresource literally called "*".
    [
      "pods/* for pods/log",
      { verbs: ["get"], apiGroups: [""], resources: ["pods/*"] },
      { subresource: "log" },
      false,
    ],
    [
      "any name when resourceNames is empty",
      { verbs: ["get"], apiGroups: [""], resources: ["pods"] },
      { name: "web" },
      true,
    ],
    [
      "a listed name",
      { verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["web", "db"] },
      { name: "db" },
      true,
    ],
    [
      "an unlisted name",
      { verbs: ["get"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"] },
      { name: "db" },
      false,
    ],
    [
      "a collection when names are listed",
      { verbs: ["list"], apiGroups: [""], resources: ["pods"], resourceNames: ["web"] },
      { verb: "list" },
      false,
    ],
    ["a non-resource rule", { verbs: ["get"], nonResourceURLs: ["*"] }, {}, false],
  ])("%s", (_, rule, overrides, allowed) => {
    expect(ruleAllows(request(overrides), rule)).toBe(allowed);
  });
});

describe("ruleAllows for non-resource requests", () => {
  test.each<[string, PolicyRule, string, string, boolean]>([
    ["an exact path", { verbs: ["get"], nonResourceURLs: ["/healthz"] }, "get", "/healthz", true],
    [
      "a longer path",
      { verbs: ["get"], nonResourceURLs: ["/healthz"] },
      "get",
      "/healthz/etcd",
      false,
    ],
    ["another verb", { verbs: ["get"], nonResourceURLs: ["/healthz"] }, "post", "/healthz", false],
    [
      "a prefix rule",
      { verbs: ["get"], nonResourceURLs: ["/apis/*"] },
      "get",
      "/apis/apps/v1",
      true,
    ],
    [
      "a prefix rule's bare prefix",
      { verbs: ["get"], nonResourceURLs: ["/apis/*"] },
      "get",
      "/apis/",
      true,
    ],
    [
      "a prefix rule without the slash",
      { verbs: ["get"], nonResourceURLs: ["/apis/*"] },
      "get",
      "/apis",
      false,
    ],
    ["the URL wildcard", { verbs: ["*"], nonResourceURLs: ["*"] }, "delete", "/anything", true],
    [
      "a resource rule",
      { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
      "get",
      "/healthz",
      false,
    ],
  ])("%s", (_, rule, verb, path, allowed) => {
    expect(ruleAllows(nonResourceAttributes(alice, verb, path), rule)).toBe(allowed);
  });
});

describe("rulesAllow", () => {
  const rules: PolicyRule[] = [
    { verbs: ["get"], apiGroups: [""], resources: ["pods"] },
    { verbs: ["list"], apiGroups: ["apps"], resources: ["deployments"] },
  ];

  test("allows what any one rule allows", () => {
    expect(
      rulesAllow(request({ verb: "list", apiGroup: "apps", resource: "deployments" }), rules),
    ).toBe(true);
  });

  test("does not combine parts of different rules", () => {
    expect(rulesAllow(request({ verb: "list" }), rules)).toBe(false);
  });

  test("allows nothing without rules", () => {
    expect(rulesAllow(request({}), [])).toBe(false);
  });
});
