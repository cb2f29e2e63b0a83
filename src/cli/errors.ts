// The CLI's own failure: a message for stderr and the exit code it ends with.
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
