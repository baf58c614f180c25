import { describe, expect, test } from "bun:test";
import { ProtobufDecodeError } from "../../../src/api/protobuf/protobuf-decode-error.ts";
import { WireReader, WireType } from "../../../src/api/protobuf/wire-reader.ts";

const bytes = (...b: number[]) => new Uint8Array(b);

describe("WireReader", () => {
  test("reads one-byte and multi-byte varints", () => {
    expect(new WireReader(bytes(0x00)).uint32()).toBe(0);
    expect(new WireReader(bytes(0x7f)).uint32()).toBe(127);
    expect(new WireReader(bytes(0xac, 0x02)).uint32()).toBe(300);
    expect(new WireReader(bytes(0xff, 0xff, 0xff, 0xff, 0x0f)).uint32()).toBe(0xffffffff);
  });

  test("reads 64-bit varints", () => {
    // 2^53 - 1 and 2^35 straddle the 32-bit halves.
    expect(new WireReader(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f)).int64()).toBe(
      2 ** 53 - 1,
    );
    expect(new WireReader(bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01)).int64()).toBe(2 ** 35);
    const max = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
    expect(new WireReader(max).int64Big()).toBe(2n ** 63n - 1n);
  });

  test("reads negative int32 and int64 sign-extended to ten bytes", () => {
    const minusOne = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    expect(new WireReader(minusOne).int32()).toBe(-1);
    expect(new WireReader(minusOne).int64()).toBe(-1);
    expect(new WireReader(minusOne).int64Big()).toBe(-1n);
    const minus300 = bytes(0xd4, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    expect(new WireReader(minus300).int64()).toBe(-300);
  });

  test("reads fixed32, fixed64, float and double little-endian", () => {
    expect(new WireReader(bytes(0x78, 0x56, 0x34, 0x12)).fixed32()).toBe(0x12345678);
    expect(new WireReader(bytes(1, 0, 0, 0, 0, 0, 0, 0x80)).fixed64()).toBe(0x8000000000000001n);
    const double = new Uint8Array(new Float64Array([1.5]).buffer);
    expect(new WireReader(double).double()).toBe(1.5);
    const float = new Uint8Array(new Float32Array([-2.25]).buffer);
    expect(new WireReader(float).float()).toBe(-2.25);
  });

  test("reads tags, strings and nested messages", () => {
    const reader = new WireReader(bytes(0x0a, 0x02, 0x68, 0x69, 0x12, 0x02, 0x08, 0x05));
    expect(reader.tag()).toEqual({ field: 1, wireType: WireType.LengthDelimited });
    expect(reader.string()).toBe("hi");
    expect(reader.tag()).toEqual({ field: 2, wireType: WireType.LengthDelimited });
    const inner = reader.message();
    expect(inner.tag()).toEqual({ field: 1, wireType: WireType.Varint });
    expect(inner.uint32()).toBe(5);
    expect(inner.done).toBe(true);
    expect(reader.done).toBe(true);
  });

  test("skips every supported wire type", () => {
    const reader = new WireReader(
      bytes(
        0x08,
        0x96,
        0x01,
        0x11,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        0x1a,
        0x01,
        0x00,
        0x25,
        1,
        2,
        3,
        4,
        0x28,
        0x07,
      ),
    );
    for (let i = 0; i < 4; i++) {
      const { wireType } = reader.tag();
      reader.skip(wireType);
    }
    expect(reader.tag().field).toBe(5);
    expect(reader.uint32()).toBe(7);
  });

  test("rejects truncated data", () => {
    expect(() => new WireReader(bytes(0x80)).uint32()).toThrow(ProtobufDecodeError);
    expect(() => new WireReader(bytes(0x05, 0x61)).bytes()).toThrow(/truncated/);
    expect(() => new WireReader(bytes(1, 2, 3)).fixed32()).toThrow(/truncated/);
    expect(() => new WireReader(bytes(1, 2, 3, 4, 5, 6, 7)).fixed64()).toThrow(/truncated/);
    expect(() => new WireReader(bytes(1, 2, 3, 4, 5, 6, 7)).skip(WireType.Fixed64)).toThrow(
      /truncated/,
    );
  });

  test("rejects varints longer than ten bytes", () => {
    const long = new Uint8Array(11).fill(0x80);
    expect(() => new WireReader(long).int64()).toThrow(/longer than 10 bytes/);
  });

  test("rejects groups, unknown wire types and field number 0", () => {
    expect(() => new WireReader(bytes(0x0b)).tag()).toThrow(/wire type 3/);
    expect(() => new WireReader(bytes(0x0c)).tag()).toThrow(/wire type 4/);
    expect(() => new WireReader(bytes(0x0e)).tag()).toThrow(/wire type 6/);
    expect(() => new WireReader(bytes(0x02)).tag()).toThrow(/field number 0/);
  });

  test("stays inside its range", () => {
    const reader = new WireReader(bytes(0x08, 0x01, 0x08, 0x02), 0, 2);
    reader.tag();
    expect(reader.uint32()).toBe(1);
    expect(reader.done).toBe(true);
    expect(() => reader.tag()).toThrow(ProtobufDecodeError);
  });
});
