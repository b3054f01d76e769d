// A stand-in for the proxy's capture listener, run inside a test namespace: answers every connection
// with one JSON line saying what getOriginalDestination returned, then closes it.
// Usage: node capture-server.mjs <label> <host> <port>
import { createServer } from 'node:net';
import { getOriginalDestination } from '../../dist/index.js';

const [label, host, port] = process.argv.slice(2);
const server = createServer((socket) => {
  let report;
  try {
    report = { server: label, original: getOriginalDestination(socket) ?? null };
  } catch (err) {
    report = { server: label, error: err.code ?? String(err) };
  }
  report.local = { address: socket.localAddress, port: socket.localPort };
  socket.end(`${JSON.stringify(report)}\n`);
  socket.on('error', () => {});
});
server.listen({ host, port: Number(port) }, () => console.log(`listening ${label} ${host} ${port}`));
// Bounded: a leaked server exits by itself.
setTimeout(() => process.exit(0), 120_000).unref();
