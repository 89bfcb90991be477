/** The trace text formats are records (src/schema/trace-text.ts): the grammar reads what the models and prompts write. */
export { close, DEFAULT_DIALECT, DIALECT_TAGS, DIALECTS, type Dialect, open, SEARCH_R1_TAGS, TAGS, type TagName, wrap } from '../schema/trace-text.js';
