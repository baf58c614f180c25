import pkg from "../package.json" with { type: "json" };

/** kubun's own version, from package.json. */
export const kubunVersion: string = pkg.version;

/**
 * The Kubernetes version kubun speaks. Clients choose behaviour (and the kubectl
 * dispatcher chooses a binary) from this, so it names the newest API kubun serves.
 */
export const kubernetesVersion = { major: "1", minor: "33", patch: "0" } as const;

export const gitVersion = `v${kubernetesVersion.major}.${kubernetesVersion.minor}.${kubernetesVersion.patch}+kubun-${kubunVersion}`;
