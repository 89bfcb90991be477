import { createReadStream } from 'node:fs';

/**
 * The one JSON-lines reading rule: lines split at "\n" ("\r\n" ends a line too, its "\r" dropped), a byte
 * order mark at the start of the file dropped, lines numbered from 1 counting blank ones, blank (whitespace
 * only) lines skipped. Parsing and its error messages stay with each caller, which knows what a line holds.
 */

export const BOM = '\uFEFF';

/** The text without a leading byte order mark. */
export const stripBom = (text: string): string => (text.startsWith(BOM) ? text.slice(1) : text);

export interface JsonLine {
  /** 1-based, blank lines counted */
  line: number;
  /** the line without its "\r\n" / "\n" (and, on line 1, without the BOM) */
  text: string;
}

/** The non-blank lines of a JSON-lines text, each with its line number. */
export function jsonLines(text: string): JsonLine[] {
  const out: JsonLine[] = [];
  stripBom(text)
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() !== '') out.push({ line: i + 1, text: line });
    });
  return out;
}

/** A line of a file read byte-wise: `text` is absent when the line was over the byte limit (only its size was kept). */
export interface FileLine {
  line: number;
  /** the line's size in bytes, without its "\r\n" / "\n" */
  bytes: number;
  text: string | undefined;
}

/**
 * The lines of a file as byte buffers split at "\n" ("\r\n" too), each with its size. A line over `maxBytes`
 * keeps only its size: a 60 MB (or 2 GB) record never becomes a string.
 */
export async function* byteLines(file: string, maxBytes = Infinity): AsyncGenerator<{ text: Buffer | undefined; bytes: number }> {
  const stream = createReadStream(file);
  let parts: Buffer[] = [];
  let bytes = 0;
  const take = (chunk: Buffer): void => {
    bytes += chunk.length;
    if (bytes > maxBytes) parts = [];
    else parts.push(chunk);
  };
  const line = (): { text: Buffer | undefined; bytes: number } => {
    const text = bytes > maxBytes ? undefined : Buffer.concat(parts);
    const cr = text !== undefined && text.at(-1) === 0x0d; // "\r\n" ends a line as "\n" does
    const out = { text: cr ? text.subarray(0, -1) : text, bytes: cr ? bytes - 1 : bytes };
    parts = [];
    bytes = 0;
    return out;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        take(chunk.subarray(start, nl));
        yield line();
        start = nl + 1;
      }
      if (start < chunk.length) take(chunk.subarray(start));
    }
    if (bytes > 0) yield line();
  } finally {
    // Reached when the consumer stops early (limit): release the file instead of reading it to the end.
    stream.destroy();
  }
}

/**
 * The non-blank lines of a JSON-lines file, streamed (stopping early reads only the start of the file),
 * by the same rule as `jsonLines`. A line over `maxBytes` is yielded with its size and no text.
 */
export async function* readJsonLines(file: string, maxBytes = Infinity): AsyncGenerator<FileLine> {
  let line = 0;
  for await (const raw of byteLines(file, maxBytes)) {
    line += 1;
    if (raw.text === undefined) {
      yield { line, bytes: raw.bytes, text: undefined };
      continue;
    }
    const decoded = raw.text.toString('utf8');
    const text = line === 1 ? stripBom(decoded) : decoded;
    if (text.trim() === '') continue;
    yield { line, bytes: raw.bytes, text };
  }
}
