import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DubboProvider } from '../../src/index.js';
import { RecordingRegistry, startDemoProvider } from '../helpers/demo.js';

let p: DubboProvider | undefined;
afterEach(async () => {
  await p?.close({ drainTimeoutMs: 100 });
  p = undefined;
});

describe('QoS online/offline', () => {
  it('registers on start, and /offline then /online call the registration hooks', async () => {
    const reg = new RecordingRegistry();
    p = await startDemoProvider('qos-app', { registration: reg });
    expect(reg.ops()).toEqual(['register']);
    expect(reg.events[0]!.instance).toMatchObject({
      application: 'qos-app',
      host: '127.0.0.1',
      port: p.port,
      services: [{ interface: 'org.apache.dubbo.demo.DemoService', version: '1.0.0' }],
    });
    const base = `http://127.0.0.1:${p.qosPort}`;
    let res = await fetch(`${base}/offline`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('OK\n');
    expect(reg.ops()).toEqual(['register', 'deregister']);
    expect(p.isOnline).toBe(false);
    expect((await fetch(`${base}/ready`)).status).toBe(503);
    res = await fetch(`${base}/online`);
    expect(res.status).toBe(200);
    expect(reg.ops()).toEqual(['register', 'deregister', 'register']);
    expect(await (await fetch(`${base}/ready`)).text()).toBe('true\n');
    // Idempotent: a second online does not register twice.
    await fetch(`${base}/online`);
    expect(reg.ops()).toHaveLength(3);
  });

  it('lists services and rejects unknown commands', async () => {
    p = await startDemoProvider('qos-app');
    const base = `http://127.0.0.1:${p.qosPort}`;
    expect(await (await fetch(`${base}/ls`)).text()).toContain('org.apache.dubbo.demo.DemoService:1.0.0');
    const res = await fetch(`${base}/bogus`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('Unsupported command: bogus\n');
  });

  it('fails start, leaving no listener, when the QoS port is taken', async () => {
    p = await startDemoProvider('first');
    const second = new DubboProvider({ port: 0, qos: { port: p.qosPort! } });
    await expect(second.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const refused = await new Promise<boolean>((r) => {
      const s = connect(second.port, '127.0.0.1');
      s.on('error', () => r(true));
      s.on('connect', () => {
        s.destroy();
        r(false);
      });
    });
    expect(refused).toBe(true);
  });

  it('starts offline when registerOnStart is false, and close deregisters', async () => {
    const reg = new RecordingRegistry();
    p = await startDemoProvider('qos-app', { registration: reg, registerOnStart: false });
    expect(reg.ops()).toEqual([]);
    await fetch(`http://127.0.0.1:${p.qosPort}/online`);
    await p.close({ drainTimeoutMs: 100 });
    p = undefined;
    expect(reg.ops()).toEqual(['register', 'deregister']);
  });
});
