import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decimalPlaces, inNumericLimits, numericOperandError } from './numbers.js';

test('decimal places of the shortest form', () => {
  assert.equal(decimalPlaces(5), 0);
  assert.equal(decimalPlaces(301.8), 1);
  assert.equal(decimalPlaces(-0.000001), 6);
  assert.equal(decimalPlaces(1e-7), 7);
  assert.equal(decimalPlaces(1.5e-3), 4);
  assert.equal(decimalPlaces(1e21), 0);
});

test('operand limits: six decimals, ±5e9', () => {
  assert.equal(numericOperandError(5e9), null);
  assert.equal(numericOperandError(-5e9), null);
  assert.equal(numericOperandError(0.000001), null);
  assert.equal(numericOperandError(5000000000.5), 'Value must be between -5.0E9 and 5.0E9, inclusive');
  assert.equal(numericOperandError(0.1234567), 'Only values upto 6 decimals are supported');
  assert.equal(inNumericLimits(-5e9), true);
  assert.equal(inNumericLimits(5e9 + 1), false);
});
