/** metav1.Time: RFC 3339 with whole seconds, as conditions and timestamps carry it. */
export function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime: RFC 3339 with six fractional digits, as Lease times carry it. */
export function microTime(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}
