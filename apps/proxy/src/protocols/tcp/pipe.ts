// Byte pipe between two sockets with backpressure both ways, half-close propagation, an idle timeout
// and byte counting. The TCP codec: no framing, just flow control.
import type net from 'node:net';

export interface PipeEvents {
  rx(bytes: number): void;
  tx(bytes: number): void;
  idle(): void;
  closed(): void;
}

export function pipeSockets(down: net.Socket, up: net.Socket, idleTimeoutMs: number, ev: PipeEvents): void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    down.destroy();
    up.destroy();
    ev.closed();
  };
  const forward = (from: net.Socket, to: net.Socket, count: (n: number) => void) => {
    from.on('data', (c: Buffer) => {
      count(c.length);
      if (!to.write(c)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.on('end', () => to.end());
  };
  forward(down, up, ev.rx);
  forward(up, down, ev.tx);
  for (const s of [down, up]) {
    s.on('error', close);
    s.on('close', () => {
      // Let the other side flush what it has, then close.
      const other = s === down ? up : down;
      if (other.writableLength === 0) close();
      else other.end(() => close());
    });
    if (idleTimeoutMs > 0) {
      s.setTimeout(idleTimeoutMs, () => {
        ev.idle();
        close();
      });
    }
  }
}
