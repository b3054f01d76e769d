// A stand-in for the proxy's capture listener, run inside a test namespace: answers every connection
// with one JSON line saying what getOriginalDestination returned. Then it closes the connection, or in
// `hold` mode keeps it open and echoes lines back prefixed with `<label>:` (to test that an established
// connection survives rule changes).
// Usage: node capture-server.mjs <label> <host> <port> [hold]
import { createServer } from 'node:net';
import { getOriginalDestination } from '../../dist/index.js';

const [label, host, port, mode] = process.argv.slice(2);
const server = createServer((socket) => {
  let report;
  try {
    report = { server: label, original: getOriginalDestination(socket) ?? null };
  } catch (err) {
    report = { server: label, error: err.code ?? String(err) };
  }
  report.local = { address: socket.localAddress, port: socket.localPort };
  socket.on('error', () => {});
  if (mode !== 'hold') {
    socket.end(`${JSON.stringify(report)}\n`);
    return;
  }
  socket.write(`${JSON.stringify(report)}\n`);
  let buffered = '';
  socket.on('data', (chunk) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) socket.write(`${label}:${line}\n`);
  });
});
server.listen({ host, port: Number(port) }, () => console.log(`listening ${label} ${host} ${port}`));
// Bounded: a leaked server exits by itself.
setTimeout(() => process.exit(0), 120_000).unref();
