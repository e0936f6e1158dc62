import { parse } from 'graphql';
import { malformedInputError, textProblem } from './well-formed-input';

describe('textProblem', () => {
  it.each([
    ['plain ASCII', 'hello', undefined],
    ['emoji (surrogate pairs)', '😀👩🏽‍💻𝄞', undefined],
    ['RTL and other format marks', '\u200f\u202bשלום\u202c\u200e\u2066x\u2069', undefined],
    ['the replacement character', '\ufffd', undefined],
    ['a lone high surrogate', 'ab\ud800', 'a lone UTF-16 surrogate (U+D800) at position 2'],
    ['a lone low surrogate', '\udfff', 'a lone UTF-16 surrogate (U+DFFF) at position 0'],
    ['a pair reversed', '\ude00\ud83d', 'a lone UTF-16 surrogate (U+DE00) at position 0'],
    ['a NUL', 'a\u0000', 'a NUL character (U+0000) at position 1'],
  ])('%s', (_name, text, problem) => {
    expect(textProblem(text)).toBe(problem);
  });
});

describe('malformedInputError', () => {
  const document = parse('query($a: String) { f(x: $a) }');

  it('should walk variables as deep as JSON nests them without overflowing the stack', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const error = malformedInputError({ variables: { a: deep } }, document);
    expect(error?.extensions.code).toBe('BAD_USER_INPUT');
    expect(error?.message).toMatch(/NUL character/);
  });

  it('should pass well-formed variables and documents', () => {
    expect(malformedInputError({ variables: { a: { 'clé 😀': ['\u200f'] } } }, parse('{ f(x: "\\u00e9\\uD83D\\uDE00") }'))).toBeUndefined();
  });

  it('should name the list index of a literal', () => {
    const error = malformedInputError({}, parse('{ f(x: { ids: ["a", "\\u0000"] }) }'));
    expect(error?.message).toMatch(/argument x\.ids\[1\] of field f/);
    expect(error?.extensions.field).toBe('x.ids[1]');
  });
});
