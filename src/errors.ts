/**
 * A problem with what the user gave us (a path, a flag, a file's contents). The CLI prints
 * its message as one line and exits with code 2; anything else is a bug and exits with 1.
 */
export class UserInputError extends Error {
  override readonly name = 'UserInputError';
}

/** Throws a UserInputError unless the condition holds: the one-liner for argument checks. */
export function ensure(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new UserInputError(typeof message === 'function' ? message() : message);
}

/** The message of anything thrown, for error lines. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
