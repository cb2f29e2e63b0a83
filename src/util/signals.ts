// Signal names by number (for messages such as "was killed by SIGKILL").
import { constants } from 'node:os';

// The first name of a number wins (SIGABRT, not its alias SIGIOT).
export const signalNames: Record<number, string> = {};
for (const [name, n] of Object.entries(constants.signals)) signalNames[n] ??= name;
