import { describe, expect, it } from 'vitest';
import { runCommand } from '../src/exec.js';
import { NetfilterCommandNotFoundError, NetfilterCommandTimeoutError } from '../src/index.js';

describe('runCommand', () => {
  it('resolves with status, stdout and stderr, feeding stdin', async () => {
    const result = await runCommand(['sh', '-c', 'cat; echo oops >&2; exit 3'], {
      input: 'hello',
      timeoutMs: 5_000,
    });
    expect(result).toEqual({ status: 3, stdout: 'hello', stderr: 'oops\n' });
  });

  it('rejects with NETFILTER_ERR_COMMAND_NOT_FOUND for a missing binary', async () => {
    const err = await runCommand(['strait-no-such-iptables', '-L'], { timeoutMs: 5_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NetfilterCommandNotFoundError);
    expect(err).toMatchObject({
      code: 'NETFILTER_ERR_COMMAND_NOT_FOUND',
      argv: ['strait-no-such-iptables', '-L'],
    });
  });

  it('kills a command that exceeds its bound and says so', async () => {
    const started = Date.now();
    const err = await runCommand(['sleep', '10'], { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetfilterCommandTimeoutError);
    expect((err as Error).message).toBe('`sleep 10` did not finish within 200 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
