// Signal names by number (for messages such as "was killed by SIGKILL").
import { constants } from 'node:os';

export const signalNames: Record<number, string> = Object.fromEntries(Object.entries(constants.signals).map(([name, n]) => [n, name]));
