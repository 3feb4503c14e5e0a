import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jacksonLocation, JsonSyntaxError, NotAnObjectError, parseJsonObject } from './json.js';

function syntaxError(text: string): { reason: string; column: number } {
  try {
    parseJsonObject(text);
  } catch (err) {
    if (err instanceof JsonSyntaxError) return { reason: err.reason, column: err.column };
    throw err;
  }
  throw new Error(`expected a syntax error for ${text}`);
}

test('reads objects like JSON.parse, the last duplicate key winning', () => {
  const text = '{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"], "b": {"c": {}}, "a": ["last"]}';
  assert.deepEqual(parseJsonObject(text), JSON.parse(text));
  assert.deepEqual(parseJsonObject('{"a": ["first"], "a": ["last"]}'), { a: ['last'] });
});

test('"__proto__" is an ordinary field', () => {
  const value = parseJsonObject('{"__proto__": ["x"]}');
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.keys(value), ['__proto__']);
});

test("errors use Jackson's words and columns, as AWS returns them", () => {
  // The four malformed patterns recorded from AWS in eventbridge-api.json.
  assert.deepEqual(syntaxError('this is valid json but not a dict'), {
    reason: "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
    column: 5,
  });
  assert.deepEqual(syntaxError("{'bad': 'quotation'}"), {
    reason: "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
    column: 2,
  });
  assert.deepEqual(syntaxError('{"not": closed mark"'), {
    reason: "Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
    column: 15,
  });
  assert.throws(() => parseJsonObject('["not", "a", "dict", "but valid json"]'), (e: unknown) => e instanceof NotAnObjectError && e.column === 2);
  assert.equal(
    jacksonLocation('{"not": closed mark"', 1, 15),
    '[Source: (String)"{"not": closed mark""; line: 1, column: 15]',
  );
});

test('other syntax errors', () => {
  assert.match(syntaxError('{"a" 1}').reason, /was expecting a colon to separate field name and value/);
  assert.match(syntaxError('{"a": [1 2]}').reason, /was expecting comma to separate Array entries/);
  assert.match(syntaxError('{"a": [1], "b"').reason, /^Unexpected end-of-input: expected close marker for OBJECT/);
  assert.match(syntaxError('{"a": "x').reason, /expecting closing quote/);
  assert.match(syntaxError('{"a": [01]}').reason, /Leading zeroes not allowed/);
  assert.match(syntaxError('{"a": ["\\q"]}').reason, /Unrecognized character escape/);
  assert.match(syntaxError('{"a": ["\u0001"]}').reason, /Illegal unquoted character \(\(CTRL-CHAR, code 1\)\)/);
  assert.match(syntaxError('{"a": [tru]}').reason, /Unrecognized token 'tru'/);
  assert.match(syntaxError('{"a": ["x"]} trailing').reason, /expected end of input/);
  assert.equal(syntaxError('{\n  "a": x}').column, 9);
});

test('a non-object root is refused after its first token only', () => {
  assert.throws(() => parseJsonObject('[ this is never read'), NotAnObjectError);
  assert.throws(() => parseJsonObject('  '), NotAnObjectError);
  assert.throws(() => parseJsonObject('"text"'), NotAnObjectError);
});
