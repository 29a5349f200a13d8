// HTTP/1.1 Upgrade (WebSocket): the handshake goes upstream like a request; on
// 101 the two connections are joined and carry bytes until either side closes. A
// refused upgrade comes back as an ordinary response.
import http from 'node:http';
import https from 'node:https';
import type { Exchange } from './exchange.js';
import { forwardHeaders } from './http-headers.js';
import { upstreamFailure } from './upstream-errors.js';

function rawHead(res: http.IncomingMessage): string {
  const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}

export function forwardUpgrade(
  ex: Exchange,
  options: http.RequestOptions,
  extraHeaders: http.OutgoingHttpHeaders,
): Promise<void> {
  const { socket, head } = ex.upgrade!;
  const req = ex.req as http.IncomingMessage;
  const res = ex.res as http.ServerResponse;
  const headers = {
    ...forwardHeaders(req.headers, ['connection', 'upgrade']),
    ...extraHeaders,
  };
  const request = 'secureContext' in options ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const up = request({ ...options, method: req.method, path: req.url, headers });
    up.on('upgrade', (answer, upSocket, upHead) => {
      res.detachSocket(socket as never);
      socket.write(rawHead(answer));
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      socket.pipe(upSocket).pipe(socket);
      const close = (): void => {
        socket.destroy();
        upSocket.destroy();
        resolve();
      };
      socket.on('error', close).on('close', close);
      upSocket.on('error', close).on('close', close);
    });
    up.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, forwardHeaders(answer.headers));
      answer.pipe(res);
      res.once('close', () => resolve());
    });
    up.on('error', (err: NodeJS.ErrnoException) => {
      if (!res.headersSent) reject(upstreamFailure(err));
      else socket.destroy();
    });
    up.end();
  });
}
