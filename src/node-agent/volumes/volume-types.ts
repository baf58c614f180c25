/** The pod volume sources the agent reads, as they appear in the pod's JSON. */
import type { ResourceFieldSelector } from "../env/resource-fields.ts";

export interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}

export interface ConfigMapSource {
  name?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

export interface SecretSource {
  secretName?: string;
  items?: KeyToPath[];
  defaultMode?: number;
  optional?: boolean;
}

export interface DownwardApiFile {
  path: string;
  fieldRef?: { apiVersion?: string; fieldPath?: string };
  resourceFieldRef?: ResourceFieldSelector;
  mode?: number;
}

export interface DownwardApiSource {
  items?: DownwardApiFile[];
  defaultMode?: number;
}

export interface ServiceAccountTokenProjection {
  audience?: string;
  expirationSeconds?: number;
  path: string;
}

export interface VolumeProjection {
  configMap?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardApiFile[] };
  serviceAccountToken?: ServiceAccountTokenProjection;
}

export interface ProjectedSource {
  sources?: VolumeProjection[];
  defaultMode?: number;
}

export interface EmptyDirSource {
  medium?: string;
  sizeLimit?: string | number;
}

export interface HostPathSource {
  path: string;
  type?: string;
}

export interface Volume {
  name: string;
  emptyDir?: EmptyDirSource;
  hostPath?: HostPathSource;
  configMap?: ConfigMapSource;
  secret?: SecretSource;
  downwardAPI?: DownwardApiSource;
  projected?: ProjectedSource;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  [source: string]: unknown;
}

/** The mode files get when neither the item nor the volume sets one (upstream 0644). */
export const DEFAULT_FILE_MODE = 0o644;
