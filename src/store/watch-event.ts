/**
 * One change to a key, in revision order. A put carries the new value; a delete
 * carries none. `prevValue` is the version the change replaced (null for a create,
 * or when that version was already compacted).
 */
export interface WatchEvent {
  type: "put" | "delete";
  key: string;
  revision: number;
  createRevision: number;
  /** Revision of the replaced version; 0 for a create. */
  prevRevision: number;
  value: string | null;
  prevValue: string | null;
}
