import assert from 'node:assert/strict';
import { AppError } from '../../src/app/errors.ts';

/** Awaits a refusal: an AppError with this code (null: any) and message (when given); returns it for more checks. */
export async function fails(
  promise: Promise<unknown>,
  code: AppError['code'] | null,
  message?: RegExp,
): Promise<AppError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof AppError, `expected an AppError, got ${String(caught)}`);
  if (code !== null) assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}
