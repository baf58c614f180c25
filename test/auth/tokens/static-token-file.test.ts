import { afterAll, describe, expect, test } from "bun:test";
import { parseStaticTokenFile, StaticTokens } from "../../../src/auth/tokens/static-token-file.ts";
import { scratchDir } from "../../tls/openssl.ts";

describe("parseStaticTokenFile", () => {
  test("reads token, user, uid and quoted comma-separated groups", () => {
    const text = [
      't1,alice,1001,"dev,ops"',
      "t2,bob,1002",
      "t3,carol,1003,admins,ignored-extra-column",
    ].join("\n");
    expect(parseStaticTokenFile(text)).toEqual([
      { token: "t1", user: "alice", uid: "1001", groups: ["dev", "ops"], line: 1 },
      { token: "t2", user: "bob", uid: "1002", groups: [], line: 2 },
      { token: "t3", user: "carol", uid: "1003", groups: ["admins"], line: 3 },
    ]);
  });

  test("handles CRLF, blank lines, escaped quotes and quoted newlines like Go's csv", () => {
    const text = 't1,"say ""hi""",1\r\n\r\nt2,"multi\nline",2\n';
    expect(parseStaticTokenFile(text)).toEqual([
      { token: "t1", user: 'say "hi"', uid: "1", groups: [], line: 1 },
      { token: "t2", user: "multi\nline", uid: "2", groups: [], line: 3 },
    ]);
  });

  test("skips empty tokens and lets a repeated token's last line win", () => {
    const entries = parseStaticTokenFile(",nobody,0\nt,first,1\nt,second,2\n");
    expect(entries.map((entry) => [entry.token, entry.user])).toEqual([["t", "second"]]);
  });

  test("a comment or short line is an error naming the line", () => {
    expect(() => parseStaticTokenFile("t1,a,1\n# tokens\n", "tokens.csv")).toThrow(
      "tokens.csv: line 2: must have at least 3 columns (token, user name, user uid), found 1",
    );
    expect(() => parseStaticTokenFile("\n\nt1,a\n")).toThrow(
      "line 3: must have at least 3 columns",
    );
  });

  test("malformed quoting is an error naming the line", () => {
    expect(() => parseStaticTokenFile('t1,a,1\nt2,b"ad,2\n')).toThrow('line 2: bare "');
    expect(() => parseStaticTokenFile('t1,"open,1\n')).toThrow(
      'line 2: extraneous or missing " in quoted field',
    );
    expect(() => parseStaticTokenFile('t1,"a"b,1\n')).toThrow("line 1: extraneous or missing");
  });
});

describe("StaticTokens", () => {
  const scratch = scratchDir();
  afterAll(() => scratch.remove());

  test("authenticates tokens from a file and adds system:authenticated", async () => {
    const path = scratch.file("tokens.csv", 'secret-1,kubelet,u1,"system:nodes"\nsecret-2,ci,u2\n');
    const tokens = await StaticTokens.fromFile(path);
    expect(tokens.size).toBe(2);
    expect(tokens.authenticate("secret-1")).toEqual({
      user: "kubelet",
      uid: "u1",
      groups: ["system:nodes", "system:authenticated"],
    });
    expect(tokens.authenticate("secret-2")?.groups).toEqual(["system:authenticated"]);
    expect(tokens.authenticate("secret-3")).toBeNull();
    expect(tokens.authenticate("")).toBeNull();
  });

  test("a file error names the file", async () => {
    const path = scratch.file("bad.csv", "only-a-token\n");
    await expect(StaticTokens.fromFile(path)).rejects.toThrow(`${path}: line 1`);
  });
});
