import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate } from '../../support/json-schema.js';

test('the schema validator finds what is wrong', () => {
  const schema = { type: 'object', additionalProperties: false, required: ['a'], properties: { a: { type: 'integer', minimum: 1 }, b: { enum: ['x'] } } };
  assert.deepEqual(validate(schema, { a: 1, b: 'x' }), []);
  assert.deepEqual(validate(schema, { a: 0 }), ['$.a: below 1']);
  assert.deepEqual(validate(schema, { b: 'y', c: 1 }), ['$: missing a', '$.b: "y" is not one of ["x"]', '$: unexpected property c']);
  assert.deepEqual(validate({ type: 'string', pattern: 'x' }, 'x'), ['$: schema keyword pattern is not supported by this validator']);
});
