// Run inside a network namespace by tests: `listen PORT...` prints one JSON line per
// accepted connection (which port took it, from which address); `connect HOST PORT
// [UID[:GID]] [LOCAL_ADDRESS]` connects (as UID, and GID or else UID, if given; from
// LOCAL_ADDRESS if given) and prints `connected` or the error code, then exits.
import net from 'node:net';

const [mode, ...rest] = process.argv.slice(2);

if (mode === 'listen') {
  for (const port of rest.map(Number)) {
    net
      .createServer((socket) => {
        process.stdout.write(JSON.stringify({ port, from: socket.remoteAddress }) + '\n');
        socket.end();
      })
      .listen(port, '0.0.0.0', () =>
        process.stdout.write(JSON.stringify({ listening: port }) + '\n'),
      );
  }
} else if (mode === 'connect') {
  const [host, port, owner, localAddress] = rest;
  if (owner && owner !== '-') {
    const [uid, gid = uid] = owner.split(':');
    process.setgid!(Number(gid));
    process.setuid!(Number(uid));
  }
  const socket = net.connect({
    host: host!,
    port: Number(port),
    timeout: 2000,
    ...(localAddress ? { localAddress } : {}),
  });
  socket.on('connect', () => {
    process.stdout.write('connected\n');
    socket.destroy();
  });
  socket.on('timeout', () => {
    process.stdout.write('ETIMEDOUT\n');
    socket.destroy();
  });
  socket.on('error', (err: NodeJS.ErrnoException) =>
    process.stdout.write(`${err.code ?? 'error'}\n`),
  );
} else {
  process.stderr.write(
    'usage: netns-probe listen PORT... | connect HOST PORT [UID[:GID]|-] [LOCAL_ADDRESS]\n',
  );
  process.exitCode = 2;
}
