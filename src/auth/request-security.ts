import type { TLSSocket } from "node:tls";
import { unauthorized } from "../api/errors/status-error.ts";
import { anonymous, type RequestAuthenticator } from "./authenticator.ts";
import { impersonate } from "./impersonation.ts";
import { forbiddenError } from "./request-attributes.ts";
import type { Attributes, Authorizer, UserInfo } from "./types.ts";

export interface Identity {
  requester: UserInfo;
  user: UserInfo;
}

/** Authentication, impersonation and authorization of one request, in upstream's order. */
export class RequestSecurity {
  constructor(
    private readonly authenticator: RequestAuthenticator,
    readonly authorizer: Authorizer,
  ) {}

  /**
   * Who sent the request (authenticated, or anonymous) and who it acts as
   * (the same user, unless it asked to impersonate another).
   */
  async identify(socket: TLSSocket | undefined, headers: Headers): Promise<Identity> {
    const requester =
      (await this.authenticator.authenticate(socket, headers.get("authorization"))) ?? anonymous;
    return { requester, user: impersonate(headers, requester, this.authorizer) };
  }

  /**
   * Throws unless allowed: 403 with upstream's message, or 401 for an anonymous
   * request (what a client without credentials needs to hear is "log in").
   */
  authorize(attributes: Attributes): void {
    const decision = this.authorizer.authorize(attributes);
    if (decision.decision === "allow") return;
    if (attributes.user.user === anonymous.user) throw unauthorized();
    throw forbiddenError(attributes, decision.reason);
  }
}
