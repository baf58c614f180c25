/**
 * Container image references, normalised as Docker and the kubelet do
 * (distribution/reference): `busybox` is `docker.io/library/busybox`, a first
 * component with a `.` or `:` (or `localhost`) is a registry, a tag follows
 * `:` and a digest `@`. The familiar form drops `docker.io/` and `library/`.
 */

export class InvalidImageNameError extends Error {
  override name = "InvalidImageNameError";
}

export interface ImageReference {
  /** The registry: "docker.io", "quay.io", "localhost:5000", "[::1]:5000". */
  domain: string;
  /** The repository path in the registry: "library/busybox". */
  path: string;
  tag?: string;
  digest?: string;
  /** `domain/path`: "docker.io/library/busybox". */
  name: string;
  /** The short name users write: "busybox", "bitnami/redis", "quay.io/coreos/etcd". */
  familiarName: string;
}

const DEFAULT_DOMAIN = "docker.io";
const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
const OFFICIAL_PREFIX = "library/";
const NAME_MAX_LENGTH = 255;

const pathComponent = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPattern = "[\\w][\\w.-]{0,127}";
const digestPattern = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const referenceRegexp = new RegExp(
  `^(?:(${domainAndPort})/)?(${pathComponent}(?:/${pathComponent})*)(?::(${tagPattern}))?(?:@(${digestPattern}))?$`,
);
const hex64 = /^[a-f0-9]{64}$/;

/** Parses and normalises `image`; throws InvalidImageNameError with upstream's wording. */
export function parseImageReference(image: string): ImageReference {
  if (hex64.test(image)) {
    throw new InvalidImageNameError(
      `invalid repository name (${image}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  const { domain, remainder } = splitDomain(image);
  const colon = remainder.indexOf(":");
  const remote = colon >= 0 ? remainder.slice(0, colon) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw new InvalidImageNameError(
      `invalid reference format: repository name (${remote}) must be lowercase`,
    );
  }
  const match = referenceRegexp.exec(`${domain}/${remainder}`);
  if (!match) throw new InvalidImageNameError("invalid reference format");
  const [, matchedDomain = domain, path = "", tag, digest] = match;
  const name = `${matchedDomain}/${path}`;
  if (name.length > NAME_MAX_LENGTH) {
    throw new InvalidImageNameError(
      `repository name must not be more than ${NAME_MAX_LENGTH} characters`,
    );
  }
  return {
    domain: matchedDomain,
    path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    name,
    familiarName: familiarName(matchedDomain, path),
  };
}

/** `busybox:1.36`, `quay.io/x/y@sha256:…`: the familiar name with what was given of tag and digest. */
export function familiarString(reference: ImageReference): string {
  let out = reference.familiarName;
  if (reference.tag !== undefined) out += `:${reference.tag}`;
  if (reference.digest !== undefined) out += `@${reference.digest}`;
  return out;
}

function splitDomain(image: string): { domain: string; remainder: string } {
  const slash = image.indexOf("/");
  const first = slash >= 0 ? image.slice(0, slash) : "";
  const isDomain =
    slash >= 0 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first);
  let domain = isDomain ? first : DEFAULT_DOMAIN;
  let remainder = isDomain ? image.slice(slash + 1) : image;
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) {
    remainder = OFFICIAL_PREFIX + remainder;
  }
  return { domain, remainder };
}

function familiarName(domain: string, path: string): string {
  if (domain !== DEFAULT_DOMAIN) return `${domain}/${path}`;
  const rest = path.slice(OFFICIAL_PREFIX.length);
  return path.startsWith(OFFICIAL_PREFIX) && !rest.includes("/") ? rest : path;
}
