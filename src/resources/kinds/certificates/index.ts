import type { KindDefinition } from "../../kind.ts";
import { certificateSigningRequestKind } from "./certificate-signing-request.ts";

export const certificatesKinds: readonly KindDefinition[] = [certificateSigningRequestKind];
