import { describe, expect, it } from 'vitest';
import { fromPythonRepr, parsePythonLiteral, PythonLiteralError } from '../../src/data/python-literal.js';

describe('parsePythonLiteral', () => {
  it('reads constants and numbers', () => {
    expect(parsePythonLiteral('True')).toBe(true);
    expect(parsePythonLiteral(' False ')).toBe(false);
    expect(parsePythonLiteral('None')).toBeNull();
    expect(parsePythonLiteral('-12')).toBe(-12);
    expect(parsePythonLiteral('3.5e2')).toBe(350);
    expect(parsePythonLiteral('1_000')).toBe(1000);
  });
  it('reads strings in both quote styles, with escapes and adjacent parts', () => {
    expect(parsePythonLiteral(`'it\\'s'`)).toBe("it's");
    expect(parsePythonLiteral(`"it's"`)).toBe("it's");
    expect(parsePythonLiteral(`'say "hi"'`)).toBe('say "hi"');
    expect(parsePythonLiteral(`'a\\nb\\t\\\\ \\x41\\u00e9\\U0001F600'`)).toBe('a\nb\t\\ Aé😀');
    expect(parsePythonLiteral(`u'caf\\xe9'`)).toBe('café');
    expect(parsePythonLiteral(`'a' "b"`)).toBe('ab');
    expect(parsePythonLiteral(`'''x'y'''`)).toBe("x'y");
    expect(parsePythonLiteral(`'\\d'`)).toBe('\\d');
  });
  it('reads a MuSiQue decomposition repr: lists, dicts, tuples, None, trailing commas', () => {
    const text =
      "[{'id': 1, 'question': 'Who wrote \"Dune\"?', 'answer': 'Frank Herbert', 'paragraph_support_idx': 3}, {'id': 2, 'question': \"#1 's birthplace\", 'answer': 'Tacoma', 'paragraph_support_idx': None},]";
    expect(parsePythonLiteral(text)).toEqual([
      { id: 1, question: 'Who wrote "Dune"?', answer: 'Frank Herbert', paragraph_support_idx: 3 },
      { id: 2, question: "#1 's birthplace", answer: 'Tacoma', paragraph_support_idx: null },
    ]);
    expect(parsePythonLiteral("(1, 'a')")).toEqual([1, 'a']);
    expect(parsePythonLiteral('{}')).toEqual({});
    expect(parsePythonLiteral('{1: True}')).toEqual({ '1': true });
  });
  it('refuses what is not a literal, never evaluating it', () => {
    for (const bad of ["__import__('os')", '[1, 2', "'open", '{[1]: 2}', '1 2', 'true', '']) {
      expect(() => parsePythonLiteral(bad), bad).toThrow(PythonLiteralError);
    }
  });
  it('fromPythonRepr parses strings that are literals and leaves the rest', () => {
    expect(fromPythonRepr("['a', 'b']")).toEqual(['a', 'b']);
    expect(fromPythonRepr('True')).toBe(true);
    expect(fromPythonRepr('Paris')).toBe('Paris');
    expect(fromPythonRepr(['x'])).toEqual(['x']);
    expect(fromPythonRepr(undefined)).toBeUndefined();
  });
});
