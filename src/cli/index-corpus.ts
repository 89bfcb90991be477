import { type IndexProgress, indexJob } from '../pipeline/index-corpus.js';
import type { Io } from './command.js';
import { jobCommand, jsonOption } from './job-command.js';

/** Progress on stderr: one redrawn line on a terminal (at most once a second), else a line per batch. */
function progressOn(io: Io): { onProgress: (p: unknown) => void; dispose: () => void } {
  let last = -Infinity;
  let shown = false;
  return {
    onProgress(p) {
      const { passages, elapsedS } = p as IndexProgress; // the index job's progress
      if (io.isTTY && elapsedS - last < 1) return;
      last = elapsedS;
      shown = true;
      io.err(`${io.isTTY ? '\r' : ''}indexed ${passages} passages (${Math.round(passages / Math.max(0.001, elapsedS))}/s)${io.isTTY ? '' : '\n'}`);
    },
    dispose: () => void (io.isTTY && shown && io.err('\n')),
  };
}

/** `mtr index`: the index job's flags plus --json; progress on stderr, the summary on stdout. */
export default jobCommand(indexJob, {
  faceOptions: jsonOption(),
  hooks: (io) => progressOn(io),
  print: (s, io, face) => io.out(face.json ? `${JSON.stringify(s)}\n` : `${s.out}: ${s.passages} passages from ${s.files} file(s) in ${s.elapsed_s}s\n`),
});
