import { ProtobufDecodeError } from "./protobuf-decode-error.ts";

/** Protobuf wire types (groups, 3 and 4, are not used by Kubernetes and are rejected). */
export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const;

const utf8 = new TextDecoder();

/**
 * Reads the protobuf wire format from a byte range without copying.
 * Every read checks bounds and throws ProtobufDecodeError on truncation.
 * Varints are read as two 32-bit halves so 64-bit values need no BigInt on
 * the common path.
 */
export class WireReader {
  private pos: number;
  private lo = 0;
  private hi = 0;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  get offset(): number {
    return this.pos;
  }

  /** Reads a field key; the field number is always at least 1. */
  tag(): { field: number; wireType: number } {
    const key = this.uint32();
    const field = key >>> 3;
    const wireType = key & 7;
    if (field === 0) throw new ProtobufDecodeError(`invalid field number 0 at offset ${this.pos}`);
    if (wireType === 3 || wireType === 4 || wireType > 5) {
      throw new ProtobufDecodeError(`unsupported wire type ${wireType} for field ${field}`);
    }
    return { field, wireType };
  }

  uint32(): number {
    this.readVarint();
    return this.lo >>> 0;
  }

  /** int32 is sign-extended to 64 bits on the wire; the low half carries it. */
  int32(): number {
    this.readVarint();
    return this.lo | 0;
  }

  /** int64 as a JS number (exact up to 2^53). */
  int64(): number {
    this.readVarint();
    return (this.hi | 0) * 0x1_0000_0000 + (this.lo >>> 0);
  }

  uint64(): number {
    this.readVarint();
    return (this.hi >>> 0) * 0x1_0000_0000 + (this.lo >>> 0);
  }

  /** int64 exactly, for values such as durations in nanoseconds. */
  int64Big(): bigint {
    this.readVarint();
    return BigInt.asIntN(64, (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0));
  }

  bool(): boolean {
    this.readVarint();
    return (this.lo | this.hi) !== 0;
  }

  fixed32(): number {
    const view = this.view(4);
    return view.getUint32(0, true);
  }

  float(): number {
    return this.view(4).getFloat32(0, true);
  }

  fixed64(): bigint {
    return this.view(8).getBigUint64(0, true);
  }

  double(): number {
    return this.view(8).getFloat64(0, true);
  }

  /** A length-delimited payload as a view into the buffer. */
  bytes(): Uint8Array {
    const length = this.uint32();
    if (length > this.end - this.pos) {
      throw new ProtobufDecodeError(
        `truncated data: field of ${length} bytes at offset ${this.pos}, ${this.end - this.pos} left`,
      );
    }
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** Invalid UTF-8 becomes U+FFFD, as Go's JSON encoder would print it. */
  string(): string {
    return utf8.decode(this.bytes());
  }

  /** A reader over the next length-delimited payload. */
  message(): WireReader {
    const payload = this.bytes();
    return new WireReader(payload);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.readVarint();
        return;
      case WireType.Fixed64:
        this.advance(8);
        return;
      case WireType.LengthDelimited:
        this.bytes();
        return;
      case WireType.Fixed32:
        this.advance(4);
        return;
      default:
        throw new ProtobufDecodeError(`cannot skip wire type ${wireType}`);
    }
  }

  private view(size: number): DataView {
    const at = this.pos;
    this.advance(size);
    return new DataView(this.buf.buffer, this.buf.byteOffset + at, size);
  }

  private advance(size: number): void {
    if (size > this.end - this.pos) {
      throw new ProtobufDecodeError(`truncated data: need ${size} bytes at offset ${this.pos}`);
    }
    this.pos += size;
  }

  private readVarint(): void {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) {
        throw new ProtobufDecodeError(`truncated varint at offset ${this.pos}`);
      }
      const b = this.buf[this.pos++] as number;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) {
        this.lo = lo;
        this.hi = hi;
        return;
      }
    }
    throw new ProtobufDecodeError(`varint longer than 10 bytes at offset ${this.pos}`);
  }
}
