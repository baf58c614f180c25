/**
 * A protobuf request body that cannot be decoded: bad magic, truncated data,
 * a wire type that contradicts the schema, an unknown kind. The API answers
 * it with 400 BadRequest and this message.
 */
export class ProtobufDecodeError extends Error {
  override readonly name = "ProtobufDecodeError";
}
