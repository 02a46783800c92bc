/**
 * Why a campaign command stopped, with the exit code the CLI ends with: 1 when the campaign is
 * missing or the move is refused, 2 when the input itself is wrong. Commands throw it before they
 * change anything, so a caller (the CLI, or `npm start`) only has to print the message.
 */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
  readonly exitCode: 1 | 2;

  constructor(message: string, exitCode: 1 | 2) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Not found, or not allowed in the campaign's state: exit 1. */
export const refused = (message: string) => new CommandFailed(message, 1);

/** Bad input (a file, an option): exit 2. */
export const invalidInput = (message: string) => new CommandFailed(message, 2);
