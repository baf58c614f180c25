import { describe, expect, test } from "bun:test";
import {
  familiarString,
  InvalidImageNameError,
  parseImageReference,
} from "../../../src/node-agent/images/image-reference.ts";

const digest = `sha256:${"ab".repeat(32)}`;

describe("parseImageReference", () => {
  test.each([
    ["busybox", "docker.io", "library/busybox", undefined, "busybox"],
    ["busybox:1.36", "docker.io", "library/busybox", "1.36", "busybox"],
    ["docker.io/library/busybox:1.36", "docker.io", "library/busybox", "1.36", "busybox"],
    ["index.docker.io/library/busybox", "docker.io", "library/busybox", undefined, "busybox"],
    ["docker.io/busybox", "docker.io", "library/busybox", undefined, "busybox"],
    ["bitnami/redis:7", "docker.io", "bitnami/redis", "7", "bitnami/redis"],
    ["quay.io/coreos/etcd:v3.5", "quay.io", "coreos/etcd", "v3.5", "quay.io/coreos/etcd"],
    ["localhost/app", "localhost", "app", undefined, "localhost/app"],
    ["localhost:5000/team/app:v1", "localhost:5000", "team/app", "v1", "localhost:5000/team/app"],
    ["[::1]:5000/app", "[::1]:5000", "app", undefined, "[::1]:5000/app"],
    ["Registry.Example/app", "Registry.Example", "app", undefined, "Registry.Example/app"],
  ])("%s", (image, domain, path, tag, familiar) => {
    const reference = parseImageReference(image);
    expect(reference.domain).toBe(domain);
    expect(reference.path).toBe(path);
    expect(reference.tag).toBe(tag);
    expect(reference.familiarName).toBe(familiar);
    expect(reference.name).toBe(`${domain}/${path}`);
  });

  test("digests, with and without a tag", () => {
    const plain = parseImageReference(`registry.example.com:5000/app@${digest}`);
    expect(plain.domain).toBe("registry.example.com:5000");
    expect(plain.digest).toBe(digest);
    expect(plain.tag).toBeUndefined();
    const both = parseImageReference(`busybox:1.36@${digest}`);
    expect(both.tag).toBe("1.36");
    expect(both.digest).toBe(digest);
    expect(familiarString(both)).toBe(`busybox:1.36@${digest}`);
  });

  test.each([
    ["Busybox", "invalid reference format: repository name (library/Busybox) must be lowercase"],
    ["busybox:", "invalid reference format"],
    ["busybox@sha256:123", "invalid reference format"],
    ["-busybox", "invalid reference format"],
    ["a//b", "invalid reference format"],
    ["ab".repeat(32), "cannot specify 64-byte hexadecimal strings"],
    [`x/${"a".repeat(260)}`, "repository name must not be more than 255 characters"],
  ])("rejects %s", (image, message) => {
    expect(() => parseImageReference(image)).toThrow(InvalidImageNameError);
    expect(() => parseImageReference(image)).toThrow(message);
  });
});
