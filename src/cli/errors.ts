// What the CLI's commands share: their failure (a message for stderr and the exit code it ends
// with) and their shape (CliCommand).
// Exit codes: 0 every line was handled (failures skipped or recorded as --on-error says);
// 1 a task failed under --on-error fail, or the pool failed; 2 the command cannot run as given
// (an option, the input, the module or its export).
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command of the program: it registers its arguments and its action (commands.ts lists them). */
export interface CliCommand {
  name: string;
  register(program: import('commander').Command): void;
}
