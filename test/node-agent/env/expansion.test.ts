import { describe, expect, test } from "bun:test";
import { expand, expandCommandAndArgs, mappingFor } from "../../../src/node-agent/env/expansion.ts";

const mapping = mappingFor(
  new Map([
    ["VAR_A", "A"],
    ["VAR_B", "B"],
    ["EMPTY", ""],
    ["SHARED", "first"],
  ]),
  new Map([
    ["SERVICE_HOST", "10.0.0.1"],
    ["SHARED", "second"],
  ]),
);

describe("expand", () => {
  test.each([
    ["plain", "plain"],
    ["$(VAR_A)", "A"],
    ["___$(VAR_B)___", "___B___"],
    ["$(VAR_A)-$(VAR_B)", "A-B"],
    ["$(EMPTY)x", "x"],
    ["$(SERVICE_HOST):80", "10.0.0.1:80"],
    ["$(SHARED)", "first"],
    ["$(UNKNOWN)", "$(UNKNOWN)"],
    ["$()", "$()"],
    ["$$(VAR_A)", "$(VAR_A)"],
    ["$$$(VAR_A)", "$A"],
    ["$$$$(VAR_A)", "$$(VAR_A)"],
    ["$VAR_A", "$VAR_A"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell-style braces are the input here
    ["${VAR_A}", "${VAR_A}"],
    ["$(VAR_A", "$(VAR_A"],
    ["$(VAR_A)$(", "A$("],
    ["trailing $", "trailing $"],
    ["$", "$"],
    ["$$", "$"],
    ["$(VAR_A)$$", "A$"],
    ["$(VAR_A))", "A)"],
    ["$((VAR_A))", "$((VAR_A))"],
  ])("%j → %j", (input, output) => {
    expect(expand(input, mapping)).toBe(output);
  });
});

describe("expandCommandAndArgs", () => {
  test("expands the container's command and args against its environment", () => {
    const container = {
      name: "main",
      command: ["/bin/sh", "-c", "echo $(GREETING) $$(HOME)"],
      args: ["$(TARGET)", "$(MISSING)"],
    };
    const expanded = expandCommandAndArgs(container, { GREETING: "hello", TARGET: "world" });
    expect(expanded).toEqual({
      name: "main",
      command: ["/bin/sh", "-c", "echo hello $(HOME)"],
      args: ["world", "$(MISSING)"],
    });
    expect(container.args[0]).toBe("$(TARGET)");
    const bare: { name: string; command?: string[] } = { name: "bare" };
    expect(expandCommandAndArgs(bare, { A: "1" })).toEqual({ name: "bare" });
  });
});
