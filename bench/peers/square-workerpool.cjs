// The task of the pool rows, for workerpool.
const workerpool = require('workerpool');
workerpool.worker({ square: (x) => x * x });
