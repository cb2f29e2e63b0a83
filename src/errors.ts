// Every error class of the package, in one place: Python's exception hierarchy in JS (API.md,
// "exceptions"). Each is named after its class (one base, NamedError, does that), so a stack
// trace and a revived error read as Python's do; the few that Python reports as a TypeError
// (what cannot be sent) are TypeErrors named 'TypeError'.
import type { NodeBuffer } from './util/node-types.js';

/** Sets `name` to the class's own name. */
abstract class NamedError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Base class of the package's process-related errors (Python's ProcessError). */
export class ProcessError extends NamedError {}

/** recvBytesInto() target too small; the whole message is in `.data`. */
export class BufferTooShortError extends ProcessError {
  constructor(message: string, readonly data: NodeBuffer) {
    super(message);
  }
}

export class AuthenticationError extends ProcessError {}

/** A blocking call ran out of time (Python's multiprocessing.TimeoutError). */
export class TimeoutError extends ProcessError {}

/** A pool worker died while running a task. */
export class WorkerLostError extends ProcessError {
  constructor(message: string, readonly exitCode: number | null = null, readonly signal: string | null = null) {
    super(message);
  }
}

/** The other end of a connection closed. */
export class EOFError extends NamedError {
  constructor(message = 'the other end closed the connection') {
    super(message);
  }
}

/** queue.Empty */
export class EmptyError extends NamedError {
  constructor(message = 'the queue is empty') {
    super(message);
  }
}

/** queue.Full */
export class FullError extends NamedError {
  constructor(message = 'the queue is full') {
    super(message);
  }
}

/** A send on a connection whose every reader is gone (Python's BrokenPipeError, EPIPE). */
export class BrokenPipeError extends NamedError {
  readonly code = 'EPIPE';
  constructor(message = 'the other end of the pipe is closed') {
    super(message);
  }
}

export class BrokenBarrierError extends NamedError {
  constructor(message = 'the barrier is broken') {
    super(message);
  }
}

/** Misuse, where Python raises ValueError or AssertionError. */
export class ValueError extends NamedError {
  constructor(message: string) {
    super(message);
  }
}

export class CancelledError extends NamedError {
  constructor(message = 'the task was cancelled') {
    super(message);
  }
}

/** An error raised on the other side whose class is not known here; carries the remote stack. */
export class RemoteError extends NamedError {
  remoteName = 'Error';
  remoteStack = '';
  constructor(message = '') {
    super(message);
  }
}

/** A managed dict has no such key (Python's KeyError; the message is the key's repr). */
export class KeyError extends NamedError {
  constructor(message = '') {
    super(message);
  }
}
/** A managed list has no such index (Python's IndexError). */
export class IndexError extends NamedError {
  constructor(message = 'list index out of range') {
    super(message);
  }
}
/** A manager has no such (exposed) method or a namespace no such attribute (Python's AttributeError). */
export class AttributeError extends NamedError {
  constructor(message: string) {
    super(message);
  }
}

/** A protocol error on a socket stream: the connection cannot be used any further. */
export class FrameError extends NamedError {
  constructor(message: string, readonly code: 'EPROTO' | 'EMSGSIZE') {
    super(message);
  }
}

/**
 * A value or function that cannot be sent to another process (or over a socket): a TypeError,
 * as Python's pickling errors are, whose message names the path and shows the value.
 */
export class SendError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'TypeError';
  }
}
/** A target function that a child could not find or import (a kind of SendError). */
export class TargetError extends SendError {}

/** Every error class of this package, by name, for the codec to revive them as themselves. */
export const packageErrors: Record<string, new (...args: never[]) => Error> = {
  ProcessError, BufferTooShortError, AuthenticationError, TimeoutError, EOFError, EmptyError,
  FullError, BrokenBarrierError, BrokenPipeError, ValueError, CancelledError, WorkerLostError, RemoteError,
  KeyError, IndexError, AttributeError,
};


/** The 'process' start method needs the native core; `why` says what is missing and how to fix it. */
export function processUnavailable(why: string): ProcessError {
  return new ProcessError(`the 'process' start method is unavailable: ${why}`);
}
