// The raw-Node peer of the echo row: a plain net.Server in a child process that writes back
// every chunk it reads (no framing, no codec): the floor an event-loop socket can reach.
import { createServer } from 'node:net';

const server = createServer({ noDelay: true }, (s) => s.on('data', (d) => s.write(d)));
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
