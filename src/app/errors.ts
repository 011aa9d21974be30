// Errors that use cases raise; the HTTP layer maps them to problem+json, the CLI to a message.
export type AppErrorCode =
  'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'unsupported';

export interface FieldError {
  field: string;
  reason: string;
  line?: number;
}

export class AppError extends Error {
  readonly code: AppErrorCode;
  readonly errors: FieldError[];
  constructor(code: AppErrorCode, message: string, errors: FieldError[] = []) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.errors = errors;
  }
}

export function invalid(message: string, errors: FieldError[] = []): AppError {
  return new AppError('invalid', message, errors);
}
export function notFound(message: string): AppError {
  return new AppError('not_found', message);
}
