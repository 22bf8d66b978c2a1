// Cuts bytes read from a log file into lines, tracking byte offsets so an offset can be committed exactly
// after the last line the manager acknowledged. Pure: the tailer owns the file and the state in between.

export interface SplitLine {
  /** Byte offset of the line's first byte in the file: with the file identity, the line's stable id. */
  start: number;
  /** Byte offset just past the line's newline: where reading resumes once this line is acknowledged. */
  end: number;
  text: string;
  truncated: boolean;
}

export interface SplitResult {
  lines: SplitLine[];
  /** Bytes of the chunk that are done with (lines handed out, blank lines, the skipped rest of a long line). */
  consumed: number;
  /** True while the rest of an over-long line (already handed out, cut) is being skipped up to its newline. */
  skipping: boolean;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * Splits `chunk[0, length)`, read at file offset `fileOffset`, into at most `room` complete lines. A partial
 * last line is left unconsumed (read again once its newline arrives) unless it is already longer than
 * `maxLineBytes`, in which case it is cut and the rest skipped. Blank lines are consumed but not handed out.
 */
export function splitLines(chunk: Buffer, length: number, fileOffset: number, maxLineBytes: number, room: number, skipping: boolean): SplitResult {
  const lines: SplitLine[] = [];
  let pos = 0;
  if (skipping) {
    const nl = chunk.indexOf(NEWLINE, 0);
    if (nl === -1 || nl >= length) return { lines, consumed: length, skipping: true };
    pos = nl + 1;
    skipping = false;
  }
  while (lines.length < room && pos < length) {
    let nl = chunk.indexOf(NEWLINE, pos);
    if (nl >= length) nl = -1;
    if (nl === -1) {
      if (length - pos > maxLineBytes) {
        lines.push({ start: fileOffset + pos, end: fileOffset + length, text: chunk.toString("utf8", pos, pos + maxLineBytes), truncated: true });
        return { lines, consumed: length, skipping: true };
      }
      break; // a partial line: wait for the rest
    }
    let stop = nl;
    if (stop > pos && chunk[stop - 1] === CARRIAGE_RETURN) stop--;
    if (stop > pos) {
      const cut = stop - pos > maxLineBytes;
      lines.push({ start: fileOffset + pos, end: fileOffset + nl + 1, text: chunk.toString("utf8", pos, cut ? pos + maxLineBytes : stop), truncated: cut });
    }
    pos = nl + 1;
  }
  return { lines, consumed: pos, skipping };
}
