// Opens one connection and keeps it: prints every line the server sends, and sends every line read
// from stdin. Exits when the server closes or after 60 s. Usage: node hold.mjs <host> <port>
import { connect } from 'node:net';

const [host, port] = process.argv.slice(2);
const socket = connect({ host, port: Number(port) });
socket.pipe(process.stdout);
process.stdin.on('data', (chunk) => socket.write(chunk));
socket.on('close', () => process.exit(0));
socket.on('error', (err) => {
  console.error(`ERROR ${err.code ?? err.message}`);
  process.exit(1);
});
setTimeout(() => process.exit(3), 60_000).unref();
