/**
 * The WebSocket stream protocols of exec and attach (upstream's
 * httpstream/wsstream and util/remotecommand), multiplexing numbered channels
 * over one connection:
 *
 * - `channel.k8s.io` (also the one chosen when the client names none): binary
 *   messages, the first byte the channel, the rest its data;
 * - `base64.channel.k8s.io`: text messages, the channel as an ASCII digit
 *   ('0' + n), the data base64;
 * - `v4.channel.k8s.io`, `v4.base64.channel.k8s.io`: the same framings, the
 *   error channel carries a metav1.Status as JSON (v1 writes only a failure's text);
 * - `v5.channel.k8s.io`: v4 binary, plus the close signal: a message
 *   `[255, n]` half-closes channel n (stdin EOF, what client-go's stream.Close sends).
 *
 * Channels: 0 stdin, 1 stdout, 2 stderr, 3 error (status), 4 resize
 * (JSON `{"Width":w,"Height":h}` terminal sizes, one after another).
 */

export const Channel = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  error: 3,
  resize: 4,
} as const;

/** The close signal of v5.channel.k8s.io (remotecommand.StreamClose). */
export const streamCloseSignal = 255;

export const streamProtocols = {
  v5: "v5.channel.k8s.io",
  v4: "v4.channel.k8s.io",
  v4Base64: "v4.base64.channel.k8s.io",
  v1: "channel.k8s.io",
  v1Base64: "base64.channel.k8s.io",
} as const;

/** What a negotiated subprotocol means for framing and status. */
export interface ProtocolTraits {
  protocol: string;
  /** Binary messages with a channel byte; else base64 text with a channel digit. */
  binary: boolean;
  /** The error channel carries Status JSON (v4 and later); else a failure's message. */
  statusJson: boolean;
  /** The [255, channel] close signal is understood (v5). */
  closeSignal: boolean;
}

const traits: Record<string, ProtocolTraits> = {
  [streamProtocols.v5]: {
    protocol: streamProtocols.v5,
    binary: true,
    statusJson: true,
    closeSignal: true,
  },
  [streamProtocols.v4]: {
    protocol: streamProtocols.v4,
    binary: true,
    statusJson: true,
    closeSignal: false,
  },
  [streamProtocols.v4Base64]: {
    protocol: streamProtocols.v4Base64,
    binary: false,
    statusJson: true,
    closeSignal: false,
  },
  [streamProtocols.v1]: {
    protocol: streamProtocols.v1,
    binary: true,
    statusJson: false,
    closeSignal: false,
  },
  [streamProtocols.v1Base64]: {
    protocol: streamProtocols.v1Base64,
    binary: false,
    statusJson: false,
    closeSignal: false,
  },
  "": { protocol: "", binary: true, statusJson: false, closeSignal: false },
};

/** The subprotocols served, newest first. */
export const supportedProtocols: readonly string[] = [
  streamProtocols.v5,
  streamProtocols.v4,
  streamProtocols.v4Base64,
  streamProtocols.v1,
  streamProtocols.v1Base64,
];

/**
 * The subprotocol to answer with: as upstream's handshake, the first the
 * client offers that is served; false when none is.
 */
export function selectProtocol(offered: Iterable<string>): string | false {
  for (const protocol of offered) {
    if (supportedProtocols.includes(protocol)) return protocol;
  }
  return false;
}

/** The traits of a negotiated subprotocol ("" when the client offered none). */
export function traitsOf(protocol: string): ProtocolTraits {
  const found = traits[protocol];
  if (!found) throw new Error(`unsupported stream protocol ${JSON.stringify(protocol)}`);
  return found;
}

/** One channel's data as a message of the protocol (binary bytes, or base64 text). */
export function encodeFrame(
  protocol: ProtocolTraits,
  channel: number,
  data: Uint8Array,
): Uint8Array | string {
  if (protocol.binary) {
    const frame = new Uint8Array(data.length + 1);
    frame[0] = channel;
    frame.set(data, 1);
    return frame;
  }
  return String.fromCharCode(48 + channel) + Buffer.from(data).toString("base64");
}

export type DecodedFrame =
  | { type: "data"; channel: number; data: Uint8Array }
  | { type: "close"; channel: number };

/**
 * A received message; null for an empty one (ignored, as upstream does) or one
 * that does not decode. Only v5 knows the close signal: for older protocols a
 * message starting with 255 is data for a channel no one reads.
 */
export function decodeFrame(
  protocol: ProtocolTraits,
  message: Uint8Array | string,
): DecodedFrame | null {
  if (protocol.binary) {
    const bytes = typeof message === "string" ? new TextEncoder().encode(message) : message;
    if (bytes.length === 0) return null;
    const channel = bytes[0] as number;
    if (protocol.closeSignal && channel === streamCloseSignal) {
      if (bytes.length !== 2) return null;
      return { type: "close", channel: bytes[1] as number };
    }
    return { type: "data", channel, data: bytes.subarray(1) };
  }
  const text = typeof message === "string" ? message : Buffer.from(message).toString("latin1");
  if (text.length === 0) return null;
  const channel = text.charCodeAt(0) - 48;
  if (channel < 0 || channel > 9) return null;
  const payload = text.slice(1);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) return null;
  return { type: "data", channel, data: new Uint8Array(Buffer.from(payload, "base64")) };
}

/** A metav1.Status as the error channel carries it (Go's JSON of apierrors' Status). */
export interface StreamStatus {
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message: string }[] };
  code?: number;
}

export function successStatus(): StreamStatus {
  return { metadata: {}, status: "Success" };
}

/** A command that ended with a non-zero code (client-go turns it into exec's exit code). */
export function exitCodeStatus(code: number): StreamStatus {
  return {
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  };
}

/** apierrors.NewInternalError: what an exec that could not run reports. */
export function internalErrorStatus(message: string): StreamStatus {
  return {
    metadata: {},
    status: "Failure",
    message: `Internal error occurred: ${message}`,
    reason: "InternalError",
    details: { causes: [{ message }] },
    code: 500,
  };
}

/**
 * What the error channel carries for a status: its JSON (v4 and later), else
 * the failure's message and nothing for success (v1).
 */
export function encodeStatus(protocol: ProtocolTraits, status: StreamStatus): Uint8Array | null {
  if (protocol.statusJson) return new TextEncoder().encode(JSON.stringify(status));
  if (status.status === "Success") return null;
  return new TextEncoder().encode(status.message ?? "");
}

/** A terminal size, as client-go's resize channel sends it. */
export interface TerminalSize {
  Width: number;
  Height: number;
}

/**
 * Reads the resize channel: JSON objects one after another, which messages may
 * split or join (upstream reads it with a streaming json.Decoder).
 */
export class ResizeDecoder {
  private buffer = "";
  private readonly decoder = new TextDecoder();

  push(data: Uint8Array): TerminalSize[] {
    this.buffer += this.decoder.decode(data, { stream: true });
    const sizes: TerminalSize[] = [];
    for (;;) {
      const end = endOfJsonObject(this.buffer);
      if (end < 0) break;
      const text = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end);
      try {
        const value = JSON.parse(text) as Partial<TerminalSize>;
        const width = Number(value.Width ?? 0);
        const height = Number(value.Height ?? 0);
        if (Number.isFinite(width) && Number.isFinite(height)) {
          sizes.push({ Width: width, Height: height });
        }
      } catch {
        // Not a size: skipped (upstream stops reading resizes on a decode error).
      }
    }
    // Anything but the start of an object is noise between values.
    this.buffer = this.buffer.replace(/^[^{]*/, "");
    return sizes;
  }
}

/** The end (exclusive) of the first complete top-level `{…}` in text, or -1. */
function endOfJsonObject(text: string): number {
  const start = text.indexOf("{");
  if (start < 0) return -1;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
