import type { Socket } from 'node:net';

/**
 * aedes's parser (mqtt-packet) buffers a whole packet before any hook sees it, and MQTT allows a
 * packet of 256 MB (§2.2.3), so a payload limit checked in authorizePublish alone comes after the
 * memory is spent. This watches the fixed header of each packet as bytes arrive — one type byte,
 * then the Remaining Length in 1–4 bytes of 7 bits each, continuation in the high bit (§2.2.3) —
 * and destroys the socket as soon as a packet announces more than `maxRemainingBytes`.
 *
 * It listens to 'data' passively: aedes reads through 'readable', which then keeps control of the
 * flow, and 'data' fires for each chunk aedes reads [Node stream docs, "Choose one API style"].
 * It must therefore be attached after aedes.handle(). A malformed length (a fifth length byte) is
 * left to aedes's parser, which closes the connection itself.
 */
export function watchFrameSize(
  socket: Socket,
  maxRemainingBytes: number,
  onOversized: (announcedBytes: number) => void,
): void {
  let phase: 'type' | 'length' | 'body' = 'type';
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let toSkip = 0;

  const onData = (chunk: Buffer): void => {
    let i = 0;
    while (i < chunk.length) {
      if (phase === 'body') {
        const n = Math.min(toSkip, chunk.length - i);
        toSkip -= n;
        i += n;
        if (toSkip === 0) phase = 'type';
      } else if (phase === 'type') {
        phase = 'length';
        length = 0;
        multiplier = 1;
        lengthBytes = 0;
        i++;
      } else {
        const b = chunk[i++]!;
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        lengthBytes++;
        if (b & 0x80) {
          if (lengthBytes < 4) continue;
          socket.off('data', onData);
          return;
        }
        if (length > maxRemainingBytes) {
          socket.off('data', onData);
          onOversized(length);
          socket.destroy();
          return;
        }
        toSkip = length;
        phase = length === 0 ? 'type' : 'body';
      }
    }
  };
  socket.on('data', onData);
}
