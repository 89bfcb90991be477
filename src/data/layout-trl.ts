import { anyText, defineLayout, goldAnswers, nonEmptyTextList, object, pickId, pickMeta, recordId } from './layout.js';
import { chatPrompt, questionOf } from './chat-prompt.js';

/**
 * TRL GRPOTrainer rows as `mtr export --stage grpo --format trl` writes them (src/export/grpo.ts trlGrpoRow):
 * `{prompt, answers, data_source, id}`, the question being the prompt's last user turn (after Search-R1's
 * `Question:` marker when the export wrote its instruction there).
 */
export const trlGrpoLayout = defineLayout({
  name: 'trl-grpo',
  fields: '{id?, prompt:[{role,content}], answers[], data_source?}',
  // verl rows also have a prompt, but their gold is reward_model's (the verl layout's).
  detect: (r) => 'prompt' in r && 'answers' in r && !('reward_model' in r),
  schema: object({
    id: recordId.optional(),
    prompt: chatPrompt,
    answers: nonEmptyTextList,
    data_source: anyText.optional(),
  }).refine((r) => questionOf(r.prompt) !== '', { error: 'a user turn that asks a question', path: ['prompt'] }),
  toItem: (r, ctx) => ({
    id: pickId(ctx, r.id),
    dataset: ctx.dataset,
    question: questionOf(r.prompt),
    answers: goldAnswers(...r.answers),
    meta: pickMeta({ data_source: r.data_source || undefined }),
  }),
});
