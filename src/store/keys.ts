/**
 * The first key after every key that starts with `prefix`, in byte order
 * (the key columns use COLLATE "C"). `key >= prefix AND key < prefixEnd(prefix)`
 * is a prefix match that uses the primary-key index.
 */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  // An empty prefix (or one of only U+FFFF) has no upper bound below every key.
  return "\uffff\uffff";
}

/** Values over this are refused before anything is written (Kubernetes' etcd request limit). */
export const maxValueBytes = 1.5 * 1024 * 1024;

const encoder = new TextEncoder();

export function utf8Length(value: string): number {
  return encoder.encode(value).length;
}

export function exceedsValueLimit(value: string): boolean {
  // UTF-16 length × 3 bounds the UTF-8 length: encode only when the bound is inconclusive.
  if (value.length * 3 <= maxValueBytes) return false;
  return utf8Length(value) > maxValueBytes;
}
