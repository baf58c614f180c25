/**
 * The node's image catalog: what an image would run, for a runtime that
 * cannot pull images. An entry is the image's ENTRYPOINT (`command`) and CMD
 * (`args`), and a container's argv follows Docker's and the kubelet's rules:
 *
 * - the container gives `command`: command + the container's args;
 * - otherwise: the image's command + (the container's args, else the image's args);
 * - an image the catalog does not know, without a command: the container waits.
 *
 * The built-ins are shell images whose CMD is a shell (their real images have
 * no ENTRYPOINT, so `args: ["sh", "-c", "…"]` works as it does on Kubernetes).
 * `--image-catalog FILE` (YAML or JSON: image → { command, args }) adds
 * entries and overrides built-ins.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import {
  familiarString,
  type ImageReference,
  InvalidImageNameError,
  parseImageReference,
} from "./image-reference.ts";

export interface CatalogEntry {
  /** ENTRYPOINT: may be empty when the image only has a CMD. */
  command: string[];
  /** CMD: the default arguments. */
  args: string[];
}

/** What the pod worker needs: the argv, or why the container must wait. */
export type CommandResolution =
  | { argv: string[] }
  | { waiting: { reason: string; message: string } };

export interface CommandContainer {
  image?: string;
  command?: string[];
  args?: string[];
}

/** The waiting reason for an image this node cannot run. */
export const IMAGE_NOT_IN_CATALOG = "ImageNotInCatalog";
/** The kubelet's reason for an unparsable image name. */
export const INVALID_IMAGE_NAME = "InvalidImageName";

const shell: CatalogEntry = { command: [], args: ["/bin/sh"] };
const builtIns: Record<string, CatalogEntry> = {
  busybox: shell,
  alpine: shell,
  debian: shell,
  ubuntu: shell,
};

export class ImageCatalog {
  readonly #entries = new Map<string, CatalogEntry>();

  /** The built-ins, extended and overridden by `entries` (keys are image references). */
  constructor(entries: Record<string, Partial<CatalogEntry>> = {}) {
    for (const [image, entry] of Object.entries(builtIns)) this.#entries.set(image, entry);
    for (const [image, entry] of Object.entries(entries)) {
      this.#entries.set(catalogKey(image), checkedEntry(image, entry, "image catalog"));
    }
  }

  /** The built-ins plus the entries of a YAML or JSON file. */
  static async load(path: string): Promise<ImageCatalog> {
    return ImageCatalog.parse(await readFile(path, "utf8"), path);
  }

  static parse(text: string, source = "image catalog"): ImageCatalog {
    let document: unknown;
    try {
      document = parseYaml(text);
    } catch (error) {
      throw new Error(`${source}: ${(error as Error).message}`);
    }
    if (document === null || document === undefined) return new ImageCatalog();
    if (typeof document !== "object" || Array.isArray(document)) {
      throw new Error(`${source}: expected a mapping of image → { command, args }`);
    }
    const entries: Record<string, CatalogEntry> = {};
    for (const [image, entry] of Object.entries(document as Record<string, unknown>)) {
      let key: string;
      try {
        key = catalogKey(image);
      } catch (error) {
        throw new Error(
          `${source}: "${image}" is not a valid image reference: ${(error as Error).message}`,
        );
      }
      entries[key] = checkedEntry(image, entry, source);
    }
    return new ImageCatalog(entries);
  }

  /** Known images, in their familiar form. */
  get images(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** The entry for `image`: exact digest, then tag (default `latest`), then the bare name. */
  lookup(image: string): CatalogEntry | undefined {
    const reference = parseImageReference(image);
    for (const key of lookupKeys(reference)) {
      const entry = this.#entries.get(key);
      if (entry) return entry;
    }
    return undefined;
  }

  resolve(container: CommandContainer): CommandResolution {
    const image = container.image ?? "";
    const args = container.args ?? [];
    let entry: CatalogEntry | undefined;
    if (image !== "") {
      try {
        entry = this.lookup(image);
      } catch (error) {
        if (!(error instanceof InvalidImageNameError)) throw error;
        return {
          waiting: {
            reason: INVALID_IMAGE_NAME,
            message: `Failed to apply default image tag "${image}": couldn't parse image name "${image}": ${error.message}`,
          },
        };
      }
    }
    if (container.command && container.command.length > 0) {
      return { argv: [...container.command, ...args] };
    }
    if (!entry) {
      return {
        waiting: {
          reason: IMAGE_NOT_IN_CATALOG,
          message:
            image === ""
              ? "the container has neither an image nor a command: give the container a command"
              : `image "${image}" is not in this node's image catalog and the container has no command (this node runs commands on the host and cannot pull images): give the container a command, or add the image to the catalog with --image-catalog`,
        },
      };
    }
    const argv = [...entry.command, ...(args.length > 0 ? args : entry.args)];
    if (argv.length === 0) {
      return {
        waiting: {
          reason: IMAGE_NOT_IN_CATALOG,
          message: `image "${image}" has no command in the catalog: give the container a command or args`,
        },
      };
    }
    return { argv };
  }
}

/** Catalog keys are the familiar form, with only the tag or digest the key gave. */
function catalogKey(image: string): string {
  return familiarString(parseImageReference(image));
}

function lookupKeys(reference: ImageReference): string[] {
  const keys: string[] = [];
  if (reference.digest !== undefined) {
    keys.push(`${reference.familiarName}@${reference.digest}`);
    if (reference.tag !== undefined) {
      keys.push(`${reference.familiarName}:${reference.tag}@${reference.digest}`);
    }
  }
  // The kubelet's default tag: an image without tag or digest means `latest`.
  const tag = reference.tag ?? (reference.digest === undefined ? "latest" : undefined);
  if (tag !== undefined) keys.push(`${reference.familiarName}:${tag}`);
  keys.push(reference.familiarName);
  return keys;
}

function checkedEntry(image: string, raw: unknown, source: string): CatalogEntry {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${source}: "${image}" must be a mapping with command and/or args`);
  }
  const { command, args } = raw as { command?: unknown; args?: unknown };
  const entry = {
    command: stringList(command, `${source}: "${image}".command`),
    args: stringList(args, `${source}: "${image}".args`),
  };
  if (entry.command.length === 0 && entry.args.length === 0) {
    throw new Error(`${source}: "${image}" needs a command or args`);
  }
  return entry;
}

function stringList(value: unknown, what: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    throw new Error(`${what} must be a list of strings`);
  }
  return [...value];
}
