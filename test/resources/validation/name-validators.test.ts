import { describe, expect, test } from "bun:test";
import {
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateNamespaceName,
  validatePathSegmentName,
} from "../../../src/resources/validation/name-validators.ts";

describe("name validators", () => {
  test("a generateName prefix may end in a dash; a name may not", () => {
    expect(nameIsDNSSubdomain("web-", true)).toEqual([]);
    expect(nameIsDNSSubdomain("web-", false)).toHaveLength(1);
    expect(nameIsDNSLabel("web-", true)).toEqual([]);
    expect(nameIsDNS1035Label("web-", true)).toEqual([]);
    expect(validateNamespaceName("team-", true)).toEqual([]);
  });

  test("a lone dash is not a valid prefix", () => {
    expect(nameIsDNSSubdomain("-", true)).toHaveLength(1);
  });

  test("masking the dash shortens the prefix by one character, as upstream does", () => {
    expect(nameIsDNSLabel(`${"a".repeat(63)}-`, true)).toEqual([]);
    expect(nameIsDNSLabel(`${"a".repeat(64)}-`, true)).toEqual([
      "must be no more than 63 characters",
    ]);
  });

  test("Service names must start with a letter", () => {
    expect(nameIsDNS1035Label("1web", false)).toHaveLength(1);
    expect(nameIsDNSLabel("1web", false)).toEqual([]);
  });

  test("namespaces are DNS labels", () => {
    expect(validateNamespaceName("kube-system", false)).toEqual([]);
    expect(validateNamespaceName("a.b", false)).toEqual(["must not contain dots"]);
  });

  const pathSegment: [string, boolean, string[]][] = [
    ["system:admin", false, []],
    ["Any Thing", false, []],
    [".", false, ["may not be '.'"]],
    ["..", false, ["may not be '..'"]],
    [".", true, []],
    ["a/b", false, ["may not contain '/'"]],
    ["a%b/c", true, ["may not contain '/'", "may not contain '%'"]],
  ];
  for (const [name, prefix, messages] of pathSegment) {
    test(`path segment ${JSON.stringify(name)} (prefix=${prefix})`, () => {
      expect(validatePathSegmentName(name, prefix)).toEqual(messages);
    });
  }
});
