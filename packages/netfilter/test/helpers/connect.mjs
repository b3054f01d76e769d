// Connects to host:port (optionally as another uid/gid, to test owner exclusions, and from a given
// source address), prints what the server sent, exits.
// Usage: node connect.mjs <host> <port> [uid gid [source-address]]
import { connect } from 'node:net';

const [host, port, uid, gid, localAddress] = process.argv.slice(2);
if (uid !== undefined && gid !== undefined) {
  // Group first: after setuid the process may no longer change its groups.
  process.setgroups([]);
  process.setgid(Number(gid));
  process.setuid(Number(uid));
}
const socket = connect({
  host,
  port: Number(port),
  timeout: 5_000,
  ...(localAddress ? { localAddress } : {}),
});
let received = '';
socket.on('data', (chunk) => {
  received += chunk.toString('utf8');
});
socket.on('end', () => {
  process.stdout.write(received);
  process.exit(0);
});
socket.on('timeout', () => {
  console.error(`timeout connecting to ${host}:${port}`);
  process.exit(2);
});
socket.on('error', (err) => {
  console.error(`ERROR ${err.code ?? err.message}`);
  process.exit(1);
});
