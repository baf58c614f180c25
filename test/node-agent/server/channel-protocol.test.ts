import { describe, expect, test } from "bun:test";
import {
  decodeFrame,
  encodeFrame,
  encodeStatus,
  exitCodeStatus,
  internalErrorStatus,
  ResizeDecoder,
  selectProtocol,
  successStatus,
  traitsOf,
} from "../../../src/node-agent/server/channel-protocol.ts";
import { streamOptions } from "../../../src/node-agent/server/remote-command.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

describe("stream protocol negotiation", () => {
  test("picks the first offered protocol that is served", () => {
    expect(selectProtocol(["v5.channel.k8s.io"])).toBe("v5.channel.k8s.io");
    expect(selectProtocol(["v6.channel.k8s.io", "v4.channel.k8s.io", "v5.channel.k8s.io"])).toBe(
      "v4.channel.k8s.io",
    );
    expect(selectProtocol(["base64.channel.k8s.io"])).toBe("base64.channel.k8s.io");
    expect(selectProtocol(["v4.base64.channel.k8s.io"])).toBe("v4.base64.channel.k8s.io");
    expect(selectProtocol(["SPDY/3.1+portforward.k8s.io"])).toBe(false);
  });

  test("a client that names no protocol gets channel.k8s.io framing", () => {
    expect(traitsOf("")).toMatchObject({ binary: true, statusJson: false, closeSignal: false });
  });
});

describe("framing", () => {
  test("binary protocols prefix the channel byte", () => {
    const v5 = traitsOf("v5.channel.k8s.io");
    expect(encodeFrame(v5, 1, bytes("hi"))).toEqual(new Uint8Array([1, 104, 105]));
    expect(encodeFrame(v5, 3, new Uint8Array(0))).toEqual(new Uint8Array([3]));
    expect(decodeFrame(v5, new Uint8Array([0, 102, 111, 111, 10]))).toEqual({
      type: "data",
      channel: 0,
      data: bytes("foo\n"),
    });
  });

  test("base64 protocols use a channel digit and base64 text", () => {
    const b64 = traitsOf("base64.channel.k8s.io");
    // upstream's example: "foo\n" on stdin, "\n" on stdout.
    expect(decodeFrame(b64, "0Zm9vCg==")).toEqual({
      type: "data",
      channel: 0,
      data: bytes("foo\n"),
    });
    expect(encodeFrame(b64, 1, bytes("\n"))).toBe("1Cg==");
    expect(decodeFrame(b64, "0not base64!")).toBeNull();
    expect(traitsOf("v4.base64.channel.k8s.io").binary).toBe(false);
  });

  test("v5 understands the close signal; older protocols do not", () => {
    expect(decodeFrame(traitsOf("v5.channel.k8s.io"), new Uint8Array([255, 0]))).toEqual({
      type: "close",
      channel: 0,
    });
    expect(decodeFrame(traitsOf("v5.channel.k8s.io"), new Uint8Array([255, 0, 1]))).toBeNull();
    expect(decodeFrame(traitsOf("v4.channel.k8s.io"), new Uint8Array([255, 0]))).toEqual({
      type: "data",
      channel: 255,
      data: new Uint8Array([0]),
    });
  });

  test("empty messages are ignored", () => {
    expect(decodeFrame(traitsOf("v5.channel.k8s.io"), new Uint8Array(0))).toBeNull();
    expect(decodeFrame(traitsOf("base64.channel.k8s.io"), "")).toBeNull();
  });
});

describe("status channel", () => {
  const decode = (data: Uint8Array | null) =>
    data === null ? null : JSON.parse(new TextDecoder().decode(data));

  test("v4 and later carry Status JSON", () => {
    const v4 = traitsOf("v4.channel.k8s.io");
    expect(decode(encodeStatus(v4, successStatus()))).toEqual({
      metadata: {},
      status: "Success",
    });
    expect(decode(encodeStatus(v4, exitCodeStatus(3)))).toEqual({
      metadata: {},
      status: "Failure",
      message: "command terminated with non-zero exit code: exit status 3",
      reason: "NonZeroExitCode",
      details: { causes: [{ reason: "ExitCode", message: "3" }] },
    });
    expect(decode(encodeStatus(v4, internalErrorStatus("boom")))).toMatchObject({
      status: "Failure",
      reason: "InternalError",
      code: 500,
      message: "Internal error occurred: boom",
    });
  });

  test("v1 carries only a failure's message", () => {
    const v1 = traitsOf("channel.k8s.io");
    expect(encodeStatus(v1, successStatus())).toBeNull();
    expect(
      new TextDecoder().decode(encodeStatus(v1, exitCodeStatus(2) as never) ?? undefined),
    ).toBe("command terminated with non-zero exit code: exit status 2");
  });
});

describe("resize channel", () => {
  test("decodes sizes one after another, split or joined", () => {
    const decoder = new ResizeDecoder();
    expect(decoder.push(bytes('{"Width":80,"Height":24}\n'))).toEqual([{ Width: 80, Height: 24 }]);
    expect(decoder.push(bytes('{"Width":100,'))).toEqual([]);
    expect(decoder.push(bytes('"Height":40}{"Width":1,"Height":2}'))).toEqual([
      { Width: 100, Height: 40 },
      { Width: 1, Height: 2 },
    ]);
  });
});

describe("stream options", () => {
  test("reads the kubelet's and the API's parameter names", () => {
    expect(streamOptions(new URLSearchParams("input=1&output=1&error=1"))).toEqual({
      stdin: true,
      stdout: true,
      stderr: true,
      tty: false,
    });
    expect(streamOptions(new URLSearchParams("stdout=true&stderr=true&tty=true"))).toEqual({
      stdin: false,
      stdout: true,
      stderr: false,
      tty: true,
    });
    expect(streamOptions(new URLSearchParams("tty=1"))).toBe(
      "you must specify at least 1 of stdin, stdout, stderr",
    );
  });
});
