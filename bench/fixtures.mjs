// Targets for the benchmark children (a child imports the module defining its target).
export function noop() {}
