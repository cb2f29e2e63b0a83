// The raw peer of a `thread` child: a worker that starts and exits.
