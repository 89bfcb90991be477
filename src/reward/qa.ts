/** Kept for compatibility: the QA answer scores live in `src/text/answer.ts` (validate and export use them too). */
export { answerScores, commonTokens, coverExactMatch, exactMatch, tokenF1 } from '../text/answer.js';
export type { AnswerScores, TokenScores } from '../text/answer.js';
