/**
 * Just enough PEM and DER reading to validate a CertificateSigningRequest synchronously:
 * the blocks of a PEM text (Go's encoding/pem) and a structural check of PKCS#10 requests
 * and X.509 certificates. Signatures are not verified here: Web Crypto is asynchronous and
 * validation hooks are not, so the signer checks the request's signature before issuing.
 */

export interface PemBlock {
  type: string;
  /** Whether the block carried `Key: value` headers before its body. */
  hasHeaders: boolean;
  /** The decoded body, or undefined when it was not valid base64. */
  bytes: Uint8Array | undefined;
}

const blockPattern = /-----BEGIN ([^\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** Every PEM block in `text`, in order (text between blocks is ignored, as Go does). */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(blockPattern)) {
    const type = match[1] as string;
    const body = match[2] as string;
    const headerEnd = body.search(/\r?\n\r?\n/);
    const hasHeaders = headerEnd >= 0 && body.slice(0, headerEnd).includes(":");
    const base64 = (hasHeaders ? body.slice(headerEnd) : body).replace(/\s+/g, "");
    blocks.push({ type, hasHeaders, bytes: decodeBase64(base64) });
  }
  return blocks;
}

export function decodeBase64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

interface Element {
  tag: number;
  /** Offset of the contents and their length. */
  start: number;
  length: number;
  /** Offset just past the element. */
  end: number;
}

class Asn1Error extends Error {}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;

function readElement(bytes: Uint8Array, offset: number, limit: number): Element {
  if (offset + 2 > limit) throw new Asn1Error("asn1: syntax error: data truncated");
  const tag = bytes[offset] as number;
  let length = bytes[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4)
      throw new Asn1Error("asn1: syntax error: indefinite length found (not DER)");
    if (start + count > limit) throw new Asn1Error("asn1: syntax error: data truncated");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[start + i] as number);
    start += count;
  }
  if (start + length > limit) throw new Asn1Error("asn1: syntax error: data truncated");
  return { tag, start, length, end: start + length };
}

function expect(element: Element, tag: number): void {
  if (element.tag !== tag) {
    throw new Asn1Error(
      `asn1: structure error: tags don't match (${tag & 0x1f} vs tag ${element.tag & 0x1f})`,
    );
  }
}

/**
 * `SEQUENCE { SEQUENCE <info>, SEQUENCE <algorithm>, BIT STRING <signature> }`, the shape
 * shared by PKCS#10 requests and X.509 certificates; `infoStartsWith` is the tag the info
 * must begin with (INTEGER version for a request, a version or serial for a certificate).
 */
function signedStructureProblem(bytes: Uint8Array, infoStartsWith: number): string | undefined {
  try {
    const outer = readElement(bytes, 0, bytes.length);
    expect(outer, SEQUENCE);
    if (outer.end !== bytes.length) return "asn1: syntax error: trailing data";
    const info = readElement(bytes, outer.start, outer.end);
    expect(info, SEQUENCE);
    const first = readElement(bytes, info.start, info.end);
    if (first.tag !== infoStartsWith && first.tag !== INTEGER) expect(first, infoStartsWith);
    const algorithm = readElement(bytes, info.end, outer.end);
    expect(algorithm, SEQUENCE);
    const signature = readElement(bytes, algorithm.end, outer.end);
    expect(signature, BIT_STRING);
    return undefined;
  } catch (error) {
    if (error instanceof Asn1Error) return error.message;
    throw error;
  }
}

/** Why `der` is not a PKCS#10 certificate request, or undefined when it is shaped like one. */
export function certificateRequestProblem(der: Uint8Array): string | undefined {
  return signedStructureProblem(der, INTEGER);
}

/** Why `der` is not an X.509 certificate, or undefined when it is shaped like one. */
export function certificateProblem(der: Uint8Array): string | undefined {
  // TBSCertificate starts with an explicit [0] version or, for v1 certificates, the serial.
  return signedStructureProblem(der, 0xa0);
}
