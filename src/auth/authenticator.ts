import type { TLSSocket } from "node:tls";
import { unauthorized } from "../api/errors/status-error.ts";
import type { UserInfo } from "./types.ts";

export const anonymous: UserInfo = { user: "system:anonymous", groups: ["system:unauthenticated"] };

/**
 * One way of reading a bearer token (static file, bootstrap token, service
 * account JWT). Null: not this authenticator's token; throwing: its token, but
 * invalid (expired, revoked) — the request is refused either way.
 */
export interface TokenAuthenticator {
  authenticate(token: string): Promise<UserInfo | null>;
}

interface Known {
  identity: UserInfo | "invalid" | null;
  /** The certificate's validity period (ms). */
  notBefore: number;
  notAfter: number;
}

const identities = new WeakMap<TLSSocket, Known>();

/**
 * Who a request comes from, as upstream's authenticator union: a verified
 * client certificate (CN = user, O = groups), else a bearer token; null for a
 * request with no credentials (anonymous, subject to authorization). Presented
 * credentials that do not verify are 401, never anonymous.
 */
export class RequestAuthenticator {
  constructor(private readonly tokens: readonly TokenAuthenticator[]) {}

  async authenticate(
    socket: TLSSocket | undefined,
    authorization: string | null,
  ): Promise<UserInfo | null> {
    const fromCertificate = socket ? certificateUser(socket) : null;
    if (fromCertificate === "invalid") throw unauthorized();
    if (fromCertificate) return fromCertificate;
    if (!authorization) return null;
    const match = /^bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw unauthorized();
    const token = match[1] as string;
    for (const authenticator of this.tokens) {
      let user: UserInfo | null;
      try {
        user = await authenticator.authenticate(token);
      } catch {
        throw unauthorized();
      }
      if (user) return user;
    }
    throw unauthorized();
  }
}

/**
 * The user a TLS connection's client certificate names, "invalid" when one was
 * presented but does not verify (another CA, expired), null when none was.
 * Read once per connection: node has already parsed the subject.
 */
export function certificateUser(socket: TLSSocket): UserInfo | "invalid" | null {
  let known = identities.get(socket);
  if (known === undefined) {
    known = readCertificate(socket);
    identities.set(socket, known);
  }
  // Bun's TLS server verifies the chain but not the validity period: check it here,
  // per request, since a connection may outlive its certificate.
  const now = Date.now();
  return now > known.notAfter || now < known.notBefore ? "invalid" : known.identity;
}

function readCertificate(socket: TLSSocket): Known {
  const peer = socket.getPeerCertificate?.();
  const presented = peer !== undefined && peer !== null && Object.keys(peer).length > 0;
  const known: Known = {
    identity: presented ? "invalid" : null,
    notBefore: Number.NEGATIVE_INFINITY,
    notAfter: Number.POSITIVE_INFINITY,
  };
  if (!presented || !socket.authorized) return known;
  const subject = peer.subject as Record<string, string | string[]> | undefined;
  const cn = subject?.CN;
  const user = Array.isArray(cn) ? cn[cn.length - 1] : cn;
  const groups = subject?.O === undefined ? [] : [subject.O].flat();
  if (user) known.identity = { user, groups: [...groups, "system:authenticated"] };
  const notBefore = Date.parse(peer.valid_from ?? "");
  const notAfter = Date.parse(peer.valid_to ?? "");
  // Unreadable dates: refuse rather than accept without the check.
  known.notBefore = Number.isFinite(notBefore) ? notBefore : Number.POSITIVE_INFINITY;
  known.notAfter = Number.isFinite(notAfter) ? notAfter : Number.NEGATIVE_INFINITY;
  return known;
}
