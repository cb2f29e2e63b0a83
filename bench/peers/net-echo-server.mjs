// The raw-Node peers of the net rows: a plain net.Server in a child process, no framing, no
// codec, no crypto: the floor an event-loop socket can reach.
//   echo       writes back every chunk it reads
//   handshake  the bytes of our authkey handshake: writes 67 (a challenge), waits for 119 (a
//              reply and a challenge), writes 61 (a verdict and a reply), then reads to the end
import { createServer } from 'node:net';

const mode = process.argv[2] ?? 'echo';
const server = createServer({ noDelay: true }, (s) => {
  if (mode === 'echo') {
    s.on('data', (d) => s.write(d));
    return;
  }
  let got = 0;
  s.write(Buffer.alloc(67, 1));
  s.on('data', (d) => {
    got += d.length;
    if (got >= 119 && got - d.length < 119) s.write(Buffer.alloc(61, 1));
  });
  s.on('end', () => s.end());
  s.on('error', () => {});
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
