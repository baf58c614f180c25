/**
 * Canonical text form of an IP address for certificate SANs.
 *
 * IPv4 (and IPv4-mapped IPv6, which Go's x509 also stores as 4 bytes) becomes a
 * dotted quad; IPv6 becomes eight lower-case groups without `::`. The fully
 * expanded form serves two purposes: SAN sets compare by string, and
 * @peculiar/x509 encodes it correctly (it mis-encodes mixed forms such as
 * `::ffff:1.2.3.4`). Throws on anything that is not an IP address.
 */
export function canonicalIp(text: string): string {
  const bytes = parseIp(text);
  if (bytes === undefined) throw new Error(`invalid IP address: ${JSON.stringify(text)}`);
  const isMapped =
    bytes.length === 16 &&
    bytes.slice(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff;
  if (bytes.length === 4 || isMapped) return Array.from(bytes.slice(-4)).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(":");
}

function parseIp(text: string): Uint8Array | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    // Leading zeros are refused, as Go's net.ParseIP does: they read as octal elsewhere.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes[i] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  // Only the last group of the whole address may be a dotted quad.
  const head = groupsOf(halves[0] ?? "", halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? "", true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, word] of words.entries()) {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  }
  return bytes;
}

// Hex groups of one side of `::`; a trailing dotted quad counts as two groups.
function groupsOf(side: string, mayEndInIpv4: boolean): number[] | undefined {
  if (side === "") return [];
  const parts = side.split(":");
  const words: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (mayEndInIpv4 && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      words.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      words.push(Number.parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return words;
}
