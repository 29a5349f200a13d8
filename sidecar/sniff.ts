// Reads a connection's first bytes without losing them: the chunk is pushed back
// onto the socket so whichever parser takes the connection sees it whole.
import type net from 'node:net';

/** The first chunk, or undefined if the client says nothing for `waitMs` (server-first protocols). */
export function firstChunk(socket: net.Socket, waitMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const done = (chunk: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (chunk) socket.unshift(chunk);
      resolve(chunk);
    };
    const onData = (chunk: Buffer): void => done(chunk);
    const onClose = (): void => done(undefined);
    const timer = setTimeout(() => done(undefined), waitMs);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
