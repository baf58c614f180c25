import { afterAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  IMAGE_NOT_IN_CATALOG,
  ImageCatalog,
  INVALID_IMAGE_NAME,
} from "../../../src/node-agent/images/image-catalog.ts";

const dir = await mkdtemp(join(tmpdir(), "image-catalog-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("built-in catalog", () => {
  const catalog = new ImageCatalog();

  test.each([
    "busybox",
    "alpine:3.19",
    "docker.io/library/debian:bookworm",
    `ubuntu@sha256:${"0".repeat(64)}`,
  ])("%s runs a shell", (image) => {
    expect(catalog.resolve({ image })).toEqual({ argv: ["/bin/sh"] });
  });

  test("the container's command wins over the image, with its args", () => {
    expect(catalog.resolve({ image: "busybox", command: ["sleep"], args: ["10"] })).toEqual({
      argv: ["sleep", "10"],
    });
    expect(catalog.resolve({ image: "unknown/image", command: ["/bin/true"] })).toEqual({
      argv: ["/bin/true"],
    });
  });

  test("args replace the image's default args (its CMD), as on Kubernetes", () => {
    expect(catalog.resolve({ image: "busybox", args: ["sh", "-c", "echo hi"] })).toEqual({
      argv: ["sh", "-c", "echo hi"],
    });
  });

  test("an empty command list counts as no command", () => {
    expect(catalog.resolve({ image: "busybox", command: [] })).toEqual({ argv: ["/bin/sh"] });
  });

  test("an unknown image without a command waits, saying what to do", () => {
    const result = catalog.resolve({ image: "nginx:1.27", args: ["-g", "daemon off;"] });
    expect("waiting" in result && result.waiting.reason).toBe(IMAGE_NOT_IN_CATALOG);
    const message = "waiting" in result ? result.waiting.message : "";
    expect(message).toContain('"nginx:1.27"');
    expect(message).toContain("give the container a command");
    expect(message).toContain("--image-catalog");
  });

  test("an invalid image name waits with the kubelet's reason, command or not", () => {
    for (const container of [{ image: "Busybox" }, { image: "Busybox", command: ["true"] }]) {
      const result = catalog.resolve(container);
      expect("waiting" in result && result.waiting.reason).toBe(INVALID_IMAGE_NAME);
      expect("waiting" in result && result.waiting.message).toBe(
        'Failed to apply default image tag "Busybox": couldn\'t parse image name "Busybox": invalid reference format: repository name (library/Busybox) must be lowercase',
      );
    }
  });
});

describe("catalog files", () => {
  test("YAML extends and overrides the built-ins; tags and digests are more specific", async () => {
    const file = join(dir, "catalog.yaml");
    await writeFile(
      file,
      [
        "nginx:",
        '  command: ["/usr/sbin/nginx"]',
        '  args: ["-g", "daemon off;"]',
        "docker.io/library/busybox:1.36:",
        '  command: ["/bin/busybox"]',
        '  args: ["sh"]',
        `registry.local:5000/tools@sha256:${"1".repeat(64)}:`,
        '  command: ["/pinned"]',
        "registry.local:5000/tools:",
        '  command: ["/floating"]',
      ].join("\n"),
    );
    const catalog = await ImageCatalog.load(file);
    expect(catalog.resolve({ image: "nginx" })).toEqual({
      argv: ["/usr/sbin/nginx", "-g", "daemon off;"],
    });
    expect(catalog.resolve({ image: "docker.io/library/nginx:1.27", args: ["-t"] })).toEqual({
      argv: ["/usr/sbin/nginx", "-t"],
    });
    expect(catalog.resolve({ image: "busybox:1.36" })).toEqual({ argv: ["/bin/busybox", "sh"] });
    expect(catalog.resolve({ image: "busybox:1.35" })).toEqual({ argv: ["/bin/sh"] });
    expect(
      catalog.resolve({ image: `registry.local:5000/tools@sha256:${"1".repeat(64)}` }),
    ).toEqual({
      argv: ["/pinned"],
    });
    expect(catalog.resolve({ image: "registry.local:5000/tools:v2" })).toEqual({
      argv: ["/floating"],
    });
    expect(catalog.images).toContain("busybox:1.36");
  });

  test("JSON works too, and a file may override a built-in outright", async () => {
    const file = join(dir, "catalog.json");
    await writeFile(file, JSON.stringify({ alpine: { command: ["/bin/ash"], args: ["-l"] } }));
    const catalog = await ImageCatalog.load(file);
    expect(catalog.resolve({ image: "alpine:3.20" })).toEqual({ argv: ["/bin/ash", "-l"] });
  });

  test.each([
    ["[1, 2]", "expected a mapping"],
    ["Nginx:\n  command: [x]", '"Nginx" is not a valid image reference'],
    ["nginx: /usr/sbin/nginx", '"nginx" must be a mapping'],
    ["nginx:\n  command: /usr/sbin/nginx", '"nginx".command must be a list of strings'],
    ["nginx: {}", '"nginx" needs a command or args'],
    ["nginx: [", "catalog.bad"],
  ])("rejects %j", async (text, message) => {
    const file = join(dir, "catalog.bad");
    await writeFile(file, text);
    await expect(ImageCatalog.load(file)).rejects.toThrow(message);
  });
});
