// Avro values in the Confluent wire format: byte 0, a 4-byte big-endian schema id, then the Avro body.
// The registry is spoken to through @confluentinc/schemaregistry (registration, compatibility, lookups by id).
// The per-message framing is done here on cached avsc types: the library's AvroSerializer re-validates and
// re-stringifies the schema for every message, which costs more than the decoding itself on the hot path
// (see bench/serde.ts). test/serde-interop.test.ts proves the library's own deserializer reads our bytes.
import avro from "avsc";
import { SchemaRegistryClient } from "@confluentinc/schemaregistry/dist/schemaregistry-client.js";
import { TransientError } from "./consume.js";
import { avroType, schemaText } from "./schemas.js";
import { subjectOf, TOPIC_SCHEMAS, type TopicName } from "./topics.js";

export const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

export class SerdeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SerdeError";
  }
}

export function createRegistryClient(url: string): SchemaRegistryClient {
  return new SchemaRegistryClient({ baseURLs: [url], cacheCapacity: 1000 });
}

/** Frames an Avro body with the wire-format header. */
export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_BYTES);
  return out;
}

/** Reads the schema id of a framed value; throws SerdeError when it is not in the wire format. */
export function schemaIdOf(buf: Buffer | null): number {
  if (!buf || buf.length < HEADER_BYTES) throw new SerdeError(`value too short for the wire format (${buf?.length ?? 0} bytes)`);
  if (buf[0] !== MAGIC_BYTE) throw new SerdeError(`unknown magic byte ${buf[0]}`);
  return buf.readUInt32BE(1);
}

interface Writer {
  id: number;
  type: avro.Type;
}

/** Serializes and deserializes the values of one topic against the registry. */
export class TopicSerde<T> {
  private writer?: Writer;
  private readonly reader: avro.Type;
  private readonly resolvers = new Map<number, avro.Resolver | avro.Type>();
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(
    private readonly client: SchemaRegistryClient,
    readonly topic: TopicName,
    /** Subject to resolve writer schemas under; the topic-name strategy's `<topic>-value` unless told. */
    readonly subject: string = subjectOf(topic),
  ) {
    this.reader = avroType(TOPIC_SCHEMAS[topic]);
  }

  /** Looks up the id of our schema under the topic's subject (registered by bootstrap, never auto-registered). */
  async init(): Promise<this> {
    if (!this.writer) {
      const id = await this.client.getId(this.subject, { schemaType: "AVRO", schema: schemaText(TOPIC_SCHEMAS[this.topic]) });
      this.writer = { id, type: this.reader };
      this.resolvers.set(id, this.reader);
    }
    return this;
  }

  get schemaId(): number {
    if (!this.writer) throw new Error(`serde for ${this.topic} used before init()`);
    return this.writer.id;
  }

  encode(value: T): Buffer {
    if (!this.writer) throw new Error(`serde for ${this.topic} used before init()`);
    // Encode straight after the header in a reused scratch buffer, then copy once: one allocation per value.
    let end = this.writer.type.encode(value, this.scratch, HEADER_BYTES);
    while (end < 0) {
      // avsc reports a too-small buffer as a negative position; grow past what it says is missing.
      this.scratch = Buffer.allocUnsafe(this.scratch.length * 2 - end);
      end = this.writer.type.encode(value, this.scratch, HEADER_BYTES);
    }
    this.scratch[0] = MAGIC_BYTE;
    this.scratch.writeUInt32BE(this.writer.id, 1);
    return Buffer.from(this.scratch.subarray(0, end));
  }

  /** Decodes a value written with any registered version of the subject, into our (reader) schema. */
  async decode(buf: Buffer | null): Promise<T> {
    const id = schemaIdOf(buf);
    const resolver = this.resolvers.get(id) ?? (await this.resolverFor(id));
    try {
      return this.reader.fromBuffer((buf as Buffer).subarray(HEADER_BYTES), resolver === this.reader ? undefined : (resolver as avro.Resolver)) as T;
    } catch (err) {
      throw new SerdeError(`cannot decode ${this.topic} value with schema id ${id}: ${(err as Error).message}`);
    }
  }

  private async resolverFor(id: number): Promise<avro.Resolver> {
    let info;
    try {
      info = await this.client.getBySubjectAndId(this.subject, id);
    } catch (err) {
      // Only the registry saying it does not know the id condemns the message; a registry that cannot be
      // reached (or errs) is an outage: the chunk waits and is retried rather than dead-lettered.
      const status = (err as { status?: unknown }).status;
      if (status === 404 || status === 422) throw new SerdeError(`schema id ${id} is unknown to the registry for ${this.subject}: ${(err as Error).message}`);
      throw new TransientError(`the registry could not be asked about schema id ${id}: ${(err as Error).message}`, { cause: err });
    }
    let resolver: avro.Resolver;
    try {
      resolver = this.reader.createResolver(avro.Type.forSchema(JSON.parse(info.schema) as avro.Schema));
    } catch (err) {
      throw new SerdeError(`schema id ${id} cannot be read as ${TOPIC_SCHEMAS[this.topic]}: ${(err as Error).message}`);
    }
    this.resolvers.set(id, resolver);
    return resolver;
  }
}
