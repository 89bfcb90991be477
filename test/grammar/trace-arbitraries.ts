import fc from 'fast-check';
import type { Step } from '../../src/schema/trace.js';

/** Text that cannot form a tag or a chat token and has no surrounding blanks (the parser trims bodies). */
export const plainText = fc
  .string({ minLength: 1, maxLength: 30 })
  .map((s) => s.replace(/[<>]/g, '').trim())
  .filter((s) => s !== '' && !s.startsWith('{') && !s.startsWith('['));

const jsonLeaf = fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.boolean(), fc.constant(null));
const args = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(jsonLeaf, fc.array(jsonLeaf, { maxLength: 3 })), { maxKeys: 4 });
const errorType = fc.constantFrom('type_error', 'missing_required', 'excess_parameter', 'invalid_value', 'unknown_tool', 'malformed_call') as fc.Arbitrary<
  'type_error' | 'missing_required' | 'excess_parameter' | 'invalid_value' | 'unknown_tool' | 'malformed_call'
>;
const observation = fc.oneof(
  plainText.map((content) => ({ content, source: 'real' as const })),
  fc
    .dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'error'),
      jsonLeaf,
      { minKeys: 1, maxKeys: 3 },
    )
    .map((content) => ({ content, source: 'real' as const })),
  fc.record({ type: errorType, message: plainText }).map((error) => ({ content: { error }, error, source: 'real' as const })),
);

/** A well-formed trace: call steps (each with an observation), then a final answer step. */
export const traceSteps: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.array(fc.record({ think: fc.oneof(fc.constant(''), plainText), name: fc.stringMatching(/^[a-z_]{1,12}$/), arguments: args, observation }), {
      maxLength: 5,
    }),
    fc.oneof(fc.constant(''), plainText),
    plainText,
  )
  .map(([calls, think, answer]) => [
    ...calls.map((c, index): Step => ({ index, think: c.think, call: { name: c.name, arguments: c.arguments }, observation: c.observation, raw: '' })),
    { index: calls.length, think, answer, raw: '' },
  ]);

export const withoutRaw = (steps: readonly Step[]): Omit<Step, 'raw'>[] => steps.map(({ raw: _raw, ...rest }) => rest);
