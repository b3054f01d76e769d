// Micro-benchmarks of the two calls on hot-ish paths: getOriginalDestination runs once per accepted
// connection on 15001/15006; buildRules runs once per interception toggle. Uses the built package, as
// the proxy does. Run: pnpm --filter @strait/netfilter bench
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { buildRules, getOriginalDestination } from '../dist/index.js';

function bench(name, iterations, fn) {
  for (let i = 0; i < Math.min(1_000, iterations); i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(
    `${name.padEnd(52)} ${ns.toFixed(0).padStart(8)} ns/op  ${(1e9 / ns).toFixed(0).padStart(10)} op/s`,
  );
}

const server = createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const client = connect(server.address().port, '127.0.0.1');
const [socket] = await once(server, 'connection');

// Not redirected (no NAT on the host's loopback): the ENOENT / self-connection path.
bench('getOriginalDestination (not redirected)', 200_000, () => getOriginalDestination(socket));
bench('buildRules (defaults)', 20_000, () => buildRules());
bench('buildRules (ipv6, 50 excluded CIDRs)', 5_000, () =>
  buildRules({ ipv6: true, excludeOutboundCidrs: Array.from({ length: 50 }, (_, i) => `10.${i}.0.0/16`) }),
);

client.destroy();
socket.destroy();
server.close();
