import type { RunTool } from '../../src/schema/trace.js';

/**
 * The cases every user of "the same call" must agree on (src/grammar/call.ts sameCall): ToolActor's replay and
 * cache, the repeated_call check and the efficiency reward are each tested on this one table.
 */
export interface SameCallCase {
  what: string;
  a: Record<string, unknown>;
  b: Record<string, unknown>;
  same: boolean;
}

export const SAME_CALL_CASES: SameCallCase[] = [
  { what: 'outer and inner whitespace', a: { query: ' Paris ' }, b: { query: 'Paris' }, same: true },
  { what: 'whitespace runs, tabs and newlines', a: { query: 'Paris \t\n France' }, b: { query: 'Paris France' }, same: true },
  { what: 'case', a: { query: 'PARIS' }, b: { query: 'paris' }, same: true },
  { what: 'whitespace and case together (the issue)', a: { query: ' Paris ' }, b: { query: 'paris' }, same: true },
  { what: 'Unicode compatibility forms (NFKC)', a: { query: 'ＰＡＲＩＳ' }, b: { query: 'paris' }, same: true },
  { what: 'key order', a: { query: 'paris', top_k: 2 }, b: { top_k: 2, query: 'paris' }, same: true },
  { what: 'a number and the numeric string', a: { value: 1 }, b: { value: '1' }, same: false },
  { what: 'two numbers', a: { value: 1 }, b: { value: 2 }, same: false },
  {
    what: 'nested objects: key order, case and whitespace at depth',
    a: { filter: { b: ' X ', a: { d: 1, c: 'Y' } } },
    b: { filter: { a: { c: 'y', d: 1 }, b: 'x' } },
    same: true,
  },
  { what: 'nested objects: a number and a numeric string at depth', a: { filter: { a: { d: 1 } } }, b: { filter: { a: { d: '1' } } }, same: false },
  { what: 'nested objects: another value at depth', a: { filter: { a: { d: 1 } } }, b: { filter: { a: { d: 2 } } }, same: false },
  { what: 'different words', a: { query: 'Paris' }, b: { query: 'Parris' }, same: false },
  { what: 'an inner space is not removed', a: { query: 'New York' }, b: { query: 'NewYork' }, same: false },
  { what: 'an extra argument', a: { query: 'paris' }, b: { query: 'paris', top_k: 3 }, same: false },
];

/** A tool that accepts every argument of the table, so the pre-check answers none of them. */
export const LOOKUP: RunTool = {
  origin: 'maker',
  tool: {
    api_name: 'lookup',
    api_description: 'Looks a record up.',
    parameters: {
      query: { type: 'string', description: 'What to look up.' },
      top_k: { type: 'integer', description: 'How many records.' },
      value: { type: ['string', 'number'], description: 'A value to match.' },
      filter: { type: 'object', description: 'Conditions on the record.' },
    },
    required: [],
    responses: { result: { type: 'string', description: 'The record.' } },
  },
};
