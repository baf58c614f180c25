import type { TLSSocket } from "node:tls";

export interface UserInfo {
  user: string;
  groups: readonly string[];
}

export const anonymous: UserInfo = { user: "system:anonymous", groups: ["system:unauthenticated"] };

/** Paths anyone may read without credentials (upstream's public-info viewer). */
const publicPaths = new Set(["/version", "/healthz", "/livez", "/readyz"]);

export function isPublicPath(pathname: string): boolean {
  return (
    publicPaths.has(pathname) ||
    pathname.startsWith("/healthz/") ||
    pathname.startsWith("/livez/") ||
    pathname.startsWith("/readyz/")
  );
}

const identities = new WeakMap<TLSSocket, UserInfo | null>();

/**
 * The user a TLS connection's verified client certificate names (CN = user,
 * O = groups), or null. Read once per connection: node has already parsed the
 * subject, so the hot path does no X.509 work.
 */
export function certificateUser(socket: TLSSocket): UserInfo | null {
  const known = identities.get(socket);
  if (known !== undefined) return known;
  let identity: UserInfo | null = null;
  if (socket.authorized) {
    const subject = socket.getPeerCertificate()?.subject as
      | Record<string, string | string[]>
      | undefined;
    const cn = subject?.CN;
    const user = Array.isArray(cn) ? cn[cn.length - 1] : cn;
    if (user) {
      const o = subject?.O;
      const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
      identity = { user, groups: [...groups, "system:authenticated"] };
    }
  }
  identities.set(socket, identity);
  return identity;
}
