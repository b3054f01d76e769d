// Real grpc-js servers standing in for upstream pods: one unary method that answers with the server's
// name, so a client can count where its calls went. JSON bodies keep the test free of proto files.
import * as grpc from '@grpc/grpc-js';

export const ECHO_PATH = '/strait.test.Echo/Who';

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as unknown,
};

export const echoService = {
  Who: {
    path: ECHO_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
} satisfies grpc.ServiceDefinition;

export interface EchoBackend {
  readonly name: string;
  readonly port: number;
  calls: number;
  close(): Promise<void>;
}

export async function startEchoBackend(name: string): Promise<EchoBackend> {
  const server = new grpc.Server();
  const backend: EchoBackend = {
    name,
    port: 0,
    calls: 0,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
  server.addService(echoService, {
    Who: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => {
      backend.calls++;
      cb(null, { name });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  (backend as { port: number }).port = port;
  return backend;
}

/** One unary call through `client`; resolves with the answering backend's name. */
export function who(
  client: grpc.Client,
  metadata?: Record<string, string>,
  deadlineMs = 5000,
): Promise<string> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      ECHO_PATH,
      json.serialize,
      json.deserialize,
      {},
      md,
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, res?: unknown) =>
        err ? reject(err) : resolve((res as { name: string }).name),
    );
  });
}

export async function tally(
  client: grpc.Client,
  n: number,
  metadata?: Record<string, string>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const name = await who(client, metadata);
    out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  everyMs = 100,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}
