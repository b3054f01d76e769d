// A demo provider and a registration recorder shared by the SDK tests.
import {
  DubboProvider,
  type ProviderInstance,
  type ProviderOptions,
  type RegistrationHooks,
} from '../../src/index.js';

export const DEMO = 'org.apache.dubbo.demo.DemoService';

export class RecordingRegistry implements RegistrationHooks {
  readonly events: { op: 'register' | 'deregister'; instance: ProviderInstance }[] = [];
  register(instance: ProviderInstance): void {
    this.events.push({ op: 'register', instance });
  }
  deregister(instance: ProviderInstance): void {
    this.events.push({ op: 'deregister', instance });
  }
  ops(): string[] {
    return this.events.map((e) => e.op);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A provider on an ephemeral port with QoS on an ephemeral port, serving DemoService 1.0.0. */
export async function startDemoProvider(name: string, options: ProviderOptions = {}): Promise<DubboProvider> {
  const p = new DubboProvider({ port: 0, qos: { port: 0 }, application: name, ...options });
  p.addService({
    interface: DEMO,
    version: '1.0.0',
    methods: {
      sayHello: ([who]) => `hello ${String(who)} from ${name}`,
      add: ([a, b]) => Number(a) + Number(b),
      sleep: async ([ms, tag]) => {
        await sleep(Number(ms));
        return tag;
      },
      fail: ([msg]) => {
        throw new Error(String(msg));
      },
      nothing: () => null,
      whoami: (_args, ctx) => {
        ctx.responseAttachments['provider'] = name;
        return name;
      },
    },
  });
  await p.start();
  return p;
}
