import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDatabaseUnavailable } from './errors.ts';

/** Errors as drizzle wraps them: the driver's error (with its SQLSTATE) is the `cause`. */
const wrapped = (code: string, message: string) => Object.assign(new Error('Failed query: select 1'), { cause: Object.assign(new Error(message), { code }) });

test('a statement cancelled by the statement timeout is the database being unavailable (503), a constraint violation is not', () => {
  assert.equal(isDatabaseUnavailable(wrapped('57014', 'canceling statement due to statement timeout')), true);
  assert.equal(isDatabaseUnavailable(wrapped('57P01', 'terminating connection due to administrator command')), true);
  assert.equal(isDatabaseUnavailable(wrapped('23505', 'duplicate key value violates unique constraint')), false);
  assert.equal(isDatabaseUnavailable(wrapped('22P02', 'invalid input syntax for type uuid')), false);
});
