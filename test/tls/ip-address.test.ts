import { describe, expect, test } from "bun:test";
import { canonicalIp } from "../../src/tls/ip-address.ts";

describe("canonicalIp", () => {
  test("keeps IPv4 dotted quads", () => {
    expect(canonicalIp("10.0.0.1")).toBe("10.0.0.1");
    expect(canonicalIp("0.0.0.0")).toBe("0.0.0.0");
  });

  test("expands IPv6 to eight lower-case groups", () => {
    expect(canonicalIp("::1")).toBe("0:0:0:0:0:0:0:1");
    expect(canonicalIp("2001:DB8::1")).toBe("2001:db8:0:0:0:0:0:1");
    expect(canonicalIp("fe80::")).toBe("fe80:0:0:0:0:0:0:0");
    expect(canonicalIp("1:2:3:4:5:6:7:8")).toBe("1:2:3:4:5:6:7:8");
  });

  test("turns IPv4-mapped IPv6 into IPv4, as Go's x509 does", () => {
    expect(canonicalIp("::ffff:1.2.3.4")).toBe("1.2.3.4");
    expect(canonicalIp("::ffff:102:304")).toBe("1.2.3.4");
  });

  test("keeps an embedded IPv4 that is not mapped as IPv6", () => {
    expect(canonicalIp("64:ff9b::1.2.3.4")).toBe("64:ff9b:0:0:0:0:102:304");
  });

  test.each([
    "",
    "abc",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7::8",
    "12345::",
    "1.2.3.4::",
    "localhost",
  ])("rejects %p", (text) => {
    expect(() => canonicalIp(text)).toThrow("invalid IP address");
  });
});
