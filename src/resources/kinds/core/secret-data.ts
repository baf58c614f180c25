/**
 * Secret and ConfigMap binary values travel as base64 in JSON; upstream decodes them into
 * bytes before validating, so sizes and JSON checks apply to the decoded bytes.
 */

const base64Alphabet = /^[A-Za-z0-9+/]*$/;

/**
 * Where standard base64 decoding of `value` fails, as Go's CorruptInputError reports it
 * (the offset of the first bad byte), or undefined when it decodes.
 */
export function base64ErrorOffset(value: string): number | undefined {
  const body = value.replace(/=+$/, "");
  for (let i = 0; i < body.length; i++) {
    if (!base64Alphabet.test(body.charAt(i))) return i;
  }
  const padding = value.length - body.length;
  if (value.length % 4 !== 0 || padding > 2 || body.length % 4 === 1) {
    return value.length % 4 === 0 ? body.length : value.length - (value.length % 4);
  }
  return undefined;
}

/** Decoded size of a base64 value, in bytes. */
export function base64DecodedLength(value: string): number {
  const body = value.replace(/=+$/, "");
  return Math.floor((body.length * 3) / 4);
}

export function decodeBase64(value: string): Uint8Array {
  return Uint8Array.from(atob(value), (char) => char.charCodeAt(0));
}

export function encodeBase64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
