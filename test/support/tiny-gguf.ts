import { writeFile } from 'node:fs/promises';
import { seededRandom } from '../../src/carg/taxonomy.js';

/**
 * Writes a tiny but complete llama-architecture GGUF v3 file (F32, seeded random weights, ~50 KB) that
 * llama.cpp loads and runs on CPU: every tensor the llama arch requires, an SPM vocabulary with byte
 * fallback (so any text tokenizes), ChatML control tokens and a ChatML chat template (node-llama-cpp
 * picks its ChatML wrapper from it). Garbage out, but real loading, tokenizing, sampling and grammar paths.
 */
export async function writeTinyGguf(path: string, seed = 1): Promise<void> {
  await writeFile(path, buildTinyGguf(seed));
}

// GGUF value types (gguf.h)
const T = { u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;
const GGML_TYPE_F32 = 0;
const ALIGNMENT = 32;

// llama token types (llama.h)
const TOKEN = { normal: 1, unknown: 2, control: 3, unused: 5, byte: 6 } as const;

const DIMS = { embd: 16, heads: 2, headsKv: 1, ff: 32, layers: 1, context: 1024 };

const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

function vocabulary(): { tokens: string[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>', '<|im_start|>', '<|im_end|>'];
  const types: number[] = [TOKEN.unknown, TOKEN.control, TOKEN.control, TOKEN.control, TOKEN.control];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    // Bytes >= 0x80 stay tokenizable (byte fallback for any input) but are never sampled: a random model
    // would write overlong UTF-8 that a grammar admits and JS decodes to U+FFFD; a trained one does not.
    types.push(b < 0x80 ? TOKEN.byte : TOKEN.unused);
  }
  tokens.push('\u2581'); // SentencePiece's space
  types.push(TOKEN.normal);
  for (let c = 0x21; c <= 0x7e; c++) {
    tokens.push(String.fromCharCode(c));
    types.push(TOKEN.normal);
  }
  return { tokens, types };
}

class Writer {
  private chunks: Buffer[] = [];
  size = 0;
  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  bytes(b: Buffer): void {
    this.push(b);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.size % alignment)) % alignment;
    if (pad) this.push(Buffer.alloc(pad));
  }
  result(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

type Kv =
  | [string, 'u32', number]
  | [string, 'i32', number]
  | [string, 'f32', number]
  | [string, 'bool', boolean]
  | [string, 'string', string]
  | [string, 'strings', string[]]
  | [string, 'f32s', number[]]
  | [string, 'i32s', number[]];

function writeKv(w: Writer, [key, kind, value]: Kv): void {
  w.str(key);
  if (kind === 'u32') {
    w.u32(T.u32);
    w.u32(value);
  } else if (kind === 'i32') {
    w.u32(T.i32);
    w.i32(value);
  } else if (kind === 'f32') {
    w.u32(T.f32);
    w.f32(value);
  } else if (kind === 'bool') {
    w.u32(T.bool);
    w.bytes(Buffer.from([value ? 1 : 0]));
  } else if (kind === 'string') {
    w.u32(T.string);
    w.str(value);
  } else {
    // arrays: element type, count, elements
    const [elemType, write] =
      kind === 'strings' ? [T.string, (v: string) => w.str(v)] : kind === 'f32s' ? [T.f32, (v: number) => w.f32(v)] : [T.i32, (v: number) => w.i32(v)];
    w.u32(T.array);
    w.u32(elemType);
    w.u64(value.length);
    for (const v of value) (write as (v: string | number) => void)(v);
  }
}

export function buildTinyGguf(seed = 1): Buffer {
  const { embd, heads, headsKv, ff, layers, context } = DIMS;
  const headDim = embd / heads;
  const { tokens, types } = vocabulary();
  const nVocab = tokens.length;

  const kvs: Kv[] = [
    ['general.architecture', 'string', 'llama'],
    ['general.name', 'string', 'mtr-tiny-random'],
    ['general.alignment', 'u32', ALIGNMENT],
    ['general.file_type', 'u32', 0], // all F32
    ['llama.context_length', 'u32', context],
    ['llama.embedding_length', 'u32', embd],
    ['llama.block_count', 'u32', layers],
    ['llama.feed_forward_length', 'u32', ff],
    ['llama.attention.head_count', 'u32', heads],
    ['llama.attention.head_count_kv', 'u32', headsKv],
    ['llama.attention.layer_norm_rms_epsilon', 'f32', 1e-5],
    ['llama.rope.dimension_count', 'u32', headDim],
    ['llama.rope.freq_base', 'f32', 10000],
    ['llama.vocab_size', 'u32', nVocab],
    ['tokenizer.ggml.model', 'string', 'llama'],
    ['tokenizer.ggml.tokens', 'strings', tokens],
    ['tokenizer.ggml.scores', 'f32s', tokens.map((_, i) => -i)],
    ['tokenizer.ggml.token_type', 'i32s', types],
    ['tokenizer.ggml.unknown_token_id', 'u32', 0],
    ['tokenizer.ggml.bos_token_id', 'u32', 1],
    ['tokenizer.ggml.eos_token_id', 'u32', 4], // <|im_end|>, as ChatML models do
    ['tokenizer.ggml.add_bos_token', 'bool', false],
    ['tokenizer.ggml.add_eos_token', 'bool', false],
    ['tokenizer.chat_template', 'string', CHATML_TEMPLATE],
  ];

  // [name, shape as GGUF writes it: ne0 (the contiguous dimension) first, fill]
  const tensors: [string, number[], 'ones' | 'random'][] = [
    ['token_embd.weight', [embd, nVocab], 'random'],
    ['output_norm.weight', [embd], 'ones'],
    ['output.weight', [embd, nVocab], 'random'],
  ];
  for (let l = 0; l < layers; l++) {
    tensors.push(
      [`blk.${l}.attn_norm.weight`, [embd], 'ones'],
      [`blk.${l}.attn_q.weight`, [embd, heads * headDim], 'random'],
      [`blk.${l}.attn_k.weight`, [embd, headsKv * headDim], 'random'],
      [`blk.${l}.attn_v.weight`, [embd, headsKv * headDim], 'random'],
      [`blk.${l}.attn_output.weight`, [heads * headDim, embd], 'random'],
      [`blk.${l}.ffn_norm.weight`, [embd], 'ones'],
      [`blk.${l}.ffn_gate.weight`, [embd, ff], 'random'],
      [`blk.${l}.ffn_up.weight`, [embd, ff], 'random'],
      [`blk.${l}.ffn_down.weight`, [ff, embd], 'random'],
    );
  }

  const next = seededRandom(seed); // same bytes for the same seed
  const data = tensors.map(([, shape, fill]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const buf = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) buf.writeFloatLE(fill === 'ones' ? 1 : (next() * 2 - 1) * 0.5, i * 4);
    return buf;
  });

  const w = new Writer();
  w.bytes(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kvs.length);
  for (const kv of kvs) writeKv(w, kv);

  let offset = 0;
  tensors.forEach(([name, shape], i) => {
    w.str(name);
    w.u32(shape.length);
    for (const d of shape) w.u64(d);
    w.u32(GGML_TYPE_F32);
    w.u64(offset);
    offset += Math.ceil(data[i]!.length / ALIGNMENT) * ALIGNMENT;
  });

  w.padTo(ALIGNMENT);
  for (const buf of data) {
    w.bytes(buf);
    w.padTo(ALIGNMENT);
  }
  return w.result();
}
