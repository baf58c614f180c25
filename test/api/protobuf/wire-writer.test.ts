import { describe, expect, test } from "bun:test";
import { WireReader, WireType } from "../../../src/api/protobuf/wire-reader.ts";
import { WireWriter } from "../../../src/api/protobuf/wire-writer.ts";

describe("WireWriter", () => {
  test("writes varints the way protobuf does", () => {
    expect([...new WireWriter().uint32(300).finish()]).toEqual([0xac, 0x02]);
    expect([...new WireWriter().tag(2, WireType.LengthDelimited).finish()]).toEqual([0x12]);
    expect([...new WireWriter().int32(-1).finish()]).toEqual([
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
    ]);
  });

  test("writes what WireReader reads back", () => {
    const w = new WireWriter()
      .int64(2 ** 53 - 1)
      .int64(-123456789012)
      .int64(2n ** 63n - 1n)
      .int32(-7)
      .bool(true)
      .double(-0.5)
      .float(3.25)
      .string("héllo")
      .bytes(new Uint8Array([0, 255]));
    const r = new WireReader(w.finish());
    expect(r.int64()).toBe(2 ** 53 - 1);
    expect(r.int64()).toBe(-123456789012);
    expect(r.int64Big()).toBe(2n ** 63n - 1n);
    expect(r.int32()).toBe(-7);
    expect(r.bool()).toBe(true);
    expect(r.double()).toBe(-0.5);
    expect(r.float()).toBe(3.25);
    expect(r.string()).toBe("héllo");
    expect([...r.bytes()]).toEqual([0, 255]);
    expect(r.done).toBe(true);
  });

  test("writes nested messages with their length and grows past its first buffer", () => {
    const big = "x".repeat(1000);
    const w = new WireWriter().message(3, (inner) =>
      inner.tag(1, WireType.LengthDelimited).string(big),
    );
    const r = new WireReader(w.finish());
    expect(r.tag()).toEqual({ field: 3, wireType: WireType.LengthDelimited });
    const inner = r.message();
    inner.tag();
    expect(inner.string()).toBe(big);
  });
});
