/** The host programs the process runtime needs (util-linux and perl-base). */
import { defaultPath } from "./container-root.ts";

export interface HostTools {
  perl: string;
  unshare: string;
  nsenter: string;
}

export function findHostTools(): { tools: HostTools | null; missing: string[] } {
  const PATH = [process.env.PATH, defaultPath].filter(Boolean).join(":");
  const found: Partial<HostTools> = {};
  const missing: string[] = [];
  for (const name of ["perl", "unshare", "nsenter"] as const) {
    const path = Bun.which(name, { PATH });
    if (path) found[name] = path;
    else missing.push(name);
  }
  // mount and mkfifo run inside the supervisor, found through the default PATH.
  for (const name of ["mount", "mkfifo"]) {
    if (!Bun.which(name, { PATH: defaultPath })) missing.push(name);
  }
  return missing.length === 0 ? { tools: found as HostTools, missing } : { tools: null, missing };
}
