// The local OpenAI server lives in fakes/ (shared with bench/, which must not import test/); tests keep this path.
export * from '../../fakes/openai-server.js';
