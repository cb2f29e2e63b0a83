// The exported error classes (API.md, "exceptions"): Python's exception hierarchy in JS.
import type { NodeBuffer } from './util/node-types.js';

/** Base class of the package's process-related errors (Python's ProcessError). */
export class ProcessError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** recvBytesInto() target too small; the whole message is in `.data`. */
export class BufferTooShortError extends ProcessError {
  constructor(message: string, readonly data: NodeBuffer) {
    super(message);
  }
}

export class AuthenticationError extends ProcessError {}

/** A blocking call ran out of time (Python's multiprocessing.TimeoutError). */
export class TimeoutError extends ProcessError {}

/** The other end of a connection closed. */
export class EOFError extends Error {
  constructor(message = 'the other end closed the connection') {
    super(message);
    this.name = 'EOFError';
  }
}

/** queue.Empty */
export class EmptyError extends Error {
  constructor(message = 'the queue is empty') {
    super(message);
    this.name = 'EmptyError';
  }
}

/** queue.Full */
export class FullError extends Error {
  constructor(message = 'the queue is full') {
    super(message);
    this.name = 'FullError';
  }
}

export class BrokenBarrierError extends Error {
  constructor(message = 'the barrier is broken') {
    super(message);
    this.name = 'BrokenBarrierError';
  }
}

/** Misuse, where Python raises ValueError or AssertionError. */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValueError';
  }
}

export class CancelledError extends Error {
  constructor(message = 'the task was cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** A pool worker died while running a task. */
export class WorkerLostError extends ProcessError {
  constructor(message: string, readonly exitCode: number | null = null, readonly signal: string | null = null) {
    super(message);
  }
}

/** An error raised on the other side whose class is not known here; carries the remote stack. */
export class RemoteError extends Error {
  remoteName = 'Error';
  remoteStack = '';
  constructor(message = '') {
    super(message);
    this.name = 'RemoteError';
  }
}

/** Every error class of this package, by name, for the codec to revive them as themselves. */
export const packageErrors: Record<string, new (...args: never[]) => Error> = {
  ProcessError, BufferTooShortError, AuthenticationError, TimeoutError, EOFError, EmptyError,
  FullError, BrokenBarrierError, ValueError, CancelledError, WorkerLostError, RemoteError,
};
