import type { GrammarError } from '../grammar/errors.js';
import { runFormatMachine } from '../grammar/format-machine.js';
import type { ParsedTrace } from '../grammar/parse.js';
import { renderSegments } from '../grammar/render.js';
import { searchR1ValidSequence } from '../grammar/search-r1-format.js';
import type { RewardConfig } from './config.js';

export interface FormatResult {
  score: number;
  valid: boolean;
  /** grammar errors plus the strict machine's violations (e.g. missing_think) */
  violations: GrammarError[];
  /** search-r1 dialect: Search-R1's reason when its check rejects the sequence */
  reason?: string;
}

/**
 * The format grid: a hermes trace is valid when it has no grammar error and the format machine (with
 * `requireThink`) accepts it; a search-r1 trace when Search-R1's is_valid_sequence accepts its text (chat
 * tokens and decoded role lines left out). The cell is picked by validity × correctness.
 */
export function formatScore(trace: ParsedTrace, correct: boolean, config: RewardConfig['format']): FormatResult {
  const strict = runFormatMachine(trace.segments, { requireThink: config.requireThink });
  const seen = new Set(trace.errors.map((e) => `${e.code}@${e.messageIndex ?? ''}:${e.offset}`));
  const violations = [...trace.errors, ...strict.violations.filter((v) => !seen.has(`${v.code}@${v.messageIndex ?? ''}:${v.offset}`))];
  const searchR1 = trace.dialect === 'search-r1' ? searchR1ValidSequence(renderSegments(trace.segments.filter((s) => s.kind !== 'special'))) : undefined;
  const valid = searchR1 ? searchR1.valid : violations.length === 0;
  const score =
    trace.answer === undefined
      ? config.noAnswer
      : valid
        ? correct
          ? config.validCorrect
          : config.validWrong
        : correct
          ? config.invalidCorrect
          : config.invalidWrong;
  return searchR1 && !searchR1.valid ? { score, valid, violations, reason: searchR1.reason } : { score, valid, violations };
}
