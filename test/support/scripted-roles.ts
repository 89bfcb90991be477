// The scripted roles live in fakes/ (shared with bench/, which must not import test/); tests keep this path.
export * from '../../fakes/scripted-roles.js';
