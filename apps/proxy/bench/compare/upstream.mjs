// The upstreams every proxy in the comparison forwards to, in one child process of their own (so their
// CPU never counts against a proxy, and the runner's load generator does not share their event loop):
// - HTTP/1.1: node:http keep-alive server answering every request with a 256-byte body;
// - gRPC unary: @grpc/grpc-js server, method /strait.bench.Bench/Echo, 256-byte reply (raw bytes,
//   no protobuf schema: the proxies never look inside messages, so codegen would only add noise);
// - Dubbo2: @strait/dubbo's DubboProvider with one echo method.
// Prints one line `UPSTREAM {"http":P,"grpc":P,"dubbo":P}` once all three listen on 127.0.0.1.
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { DubboProvider } from '@strait/dubbo';
import { BENCH_DUBBO_INTERFACE, BENCH_GRPC_SERVICE, BODY_BYTES } from './common.mjs';

const body = Buffer.alloc(BODY_BYTES, 'x');

const h1 = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
});
// Longer than any phase: the proxies' pooled connections must not be closed under them.
h1.keepAliveTimeout = 120_000;
await new Promise((r) => h1.listen(0, '127.0.0.1', r));

const grpcServer = new grpc.Server();
grpcServer.addService(BENCH_GRPC_SERVICE, {
  Echo: (_call, cb) => cb(null, body),
});
const grpcPort = await new Promise((resolve, reject) =>
  grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
    err ? reject(err) : resolve(p),
  ),
);

const provider = new DubboProvider({ host: '127.0.0.1', port: 0, qos: false, application: 'bench' });
provider.addService({
  interface: BENCH_DUBBO_INTERFACE,
  version: '1.0.0',
  methods: { echo: (args) => args[0] },
});
const { port: dubboPort } = await provider.start();

console.log(`UPSTREAM ${JSON.stringify({ http: h1.address().port, grpc: grpcPort, dubbo: dubboPort })}`);
// The runner kills this process; never outlive it if it dies first.
process.on('disconnect', () => process.exit(0));
const parentCheck = setInterval(() => {
  if (process.ppid === 1) process.exit(0);
}, 1000);
parentCheck.unref();
