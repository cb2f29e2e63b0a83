// Input of `multiprocessing-ts map`: the non-blank lines of a JSON Lines file or of stdin, with
// their line numbers (for error messages), read as a stream (memory does not grow with the
// input); and, for the progress bar, a quick count of a file's lines.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/** [line number from 1, text] of each non-blank line. */
export async function* numberedLines(input: Readable): AsyncGenerator<[number, string]> {
  let no = 0;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    no++;
    if (!BLANK.test(line)) yield [no, line];
  }
}

const BLANK = /^[ \t\r]*$/;
const isBlank = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;

/**
 * The number of non-blank lines of a file, by scanning its bytes for newlines (about a GB/s,
 * where reading lines as strings is ten times slower). A line counts as blank when it holds
 * only spaces, tabs or a CR, as numberedLines() sees it.
 */
export async function countLines(path: string): Promise<number> {
  let count = 0;
  // Whether the line being scanned has a non-blank byte yet.
  let content = false;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let at = 0;
    while (at < chunk.length) {
      const nl = chunk.indexOf(0x0a, at);
      const end = nl < 0 ? chunk.length : nl;
      if (!content) {
        for (let i = at; i < end; i++) {
          if (!isBlank(chunk[i])) {
            content = true;
            break;
          }
        }
      }
      if (nl < 0) break;
      if (content) count++;
      content = false;
      at = nl + 1;
    }
  }
  return content ? count + 1 : count;
}
