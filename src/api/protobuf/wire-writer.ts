import { WireType } from "./wire-reader.ts";

const utf8 = new TextEncoder();

/**
 * Writes the protobuf wire format into a growing buffer. Nested messages are
 * written into their own writer and copied in with their length, which keeps
 * the code simple; request and response objects are small.
 */
export class WireWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  tag(field: number, wireType: number): this {
    return this.uint32(((field << 3) | wireType) >>> 0);
  }

  uint32(value: number): this {
    this.reserve(5);
    let v = value >>> 0;
    while (v > 0x7f) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.len++] = v;
    return this;
  }

  /** Negative int32 and int64 are written sign-extended to ten bytes, as Go does. */
  int64(value: number | bigint): this {
    let v = BigInt.asUintN(64, typeof value === "bigint" ? value : BigInt(Math.trunc(value)));
    this.reserve(10);
    while (v > 0x7fn) {
      this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.len++] = Number(v);
    return this;
  }

  int32(value: number): this {
    return value >= 0 ? this.uint32(value) : this.int64(value | 0);
  }

  bool(value: boolean): this {
    return this.uint32(value ? 1 : 0);
  }

  double(value: number): this {
    this.reserve(8);
    new DataView(this.buf.buffer).setFloat64(this.len, value, true);
    this.len += 8;
    return this;
  }

  float(value: number): this {
    this.reserve(4);
    new DataView(this.buf.buffer).setFloat32(this.len, value, true);
    this.len += 4;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.uint32(value.length);
    this.reserve(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  string(value: string): this {
    return this.bytes(utf8.encode(value));
  }

  /** Writes a length-delimited field holding what `fill` writes. */
  message(field: number, fill: (w: WireWriter) => void): this {
    const inner = new WireWriter();
    fill(inner);
    return this.tag(field, WireType.LengthDelimited).bytes(inner.finish());
  }

  private reserve(size: number): void {
    if (this.len + size <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + size));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
