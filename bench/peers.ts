// The benchmark's peers (PERF.md): nginx and haproxy pairs doing the same mTLS
// between the same two pods, with certificates from the same mesh CA, one worker
// each (as one Node process is one core).
import { mkdirSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Pod } from '../test/support/mesh-net.js';
import type { Credential } from '../test/support/mtls-attempt.js';

export interface PairFiles {
  readonly dir: string;
  readonly roots: string;
  readonly client: Credential;
  readonly server: Credential;
}

export const SERVER_NAME = 'echo.mesh.test';
export const NGINX = { front: 18080, mtls: 8443 };
export const HAPROXY = { front: 18081, mtls: 8444 };
const APP = 8099;

function write(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function nginxConfig(dir: string, role: string, body: string): string {
  const tmp = path.join(dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  return `worker_processes 1;
daemon off;
user root;
pid ${dir}/nginx-${role}.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${tmp}; proxy_temp_path ${tmp}; fastcgi_temp_path ${tmp};
  uwsgi_temp_path ${tmp}; scgi_temp_path ${tmp};
  ${body}
}
`;
}

export function nginxServer(f: PairFiles): string {
  const cert = write(f.dir, 'nginx-s.crt', f.server.cert);
  const key = write(f.dir, 'nginx-s.key', f.server.key);
  const ca = write(f.dir, 'roots.pem', f.roots);
  return nginxConfig(
    f.dir,
    'server',
    `upstream app { server 127.0.0.1:${APP}; keepalive 64; }
  server {
    listen ${NGINX.mtls} ssl;
    ssl_certificate ${cert}; ssl_certificate_key ${key};
    ssl_client_certificate ${ca}; ssl_verify_client on;
    keepalive_requests 100000;
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`,
  );
}

export function nginxClient(f: PairFiles, serverIp: string): string {
  const cert = write(f.dir, 'nginx-c.crt', f.client.cert);
  const key = write(f.dir, 'nginx-c.key', f.client.key);
  const ca = write(f.dir, 'roots.pem', f.roots);
  return nginxConfig(
    f.dir,
    'client',
    `upstream peer { server ${serverIp}:${NGINX.mtls}; keepalive 64; }
  server {
    listen 127.0.0.1:${NGINX.front};
    keepalive_requests 100000;
    location / {
      proxy_pass https://peer; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_ssl_certificate ${cert}; proxy_ssl_certificate_key ${key};
      proxy_ssl_trusted_certificate ${ca}; proxy_ssl_verify on;
      proxy_ssl_name ${SERVER_NAME}; proxy_ssl_session_reuse on;
    }
  }`,
  );
}

const HAPROXY_DEFAULTS = `global
  maxconn 8192
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  http-reuse always
`;

export function haproxyServer(f: PairFiles): string {
  const pem = write(f.dir, 'haproxy-s.pem', f.server.cert + '\n' + f.server.key);
  const ca = write(f.dir, 'roots.pem', f.roots);
  return `${HAPROXY_DEFAULTS}frontend fe
  bind :${HAPROXY.mtls} ssl crt ${pem} ca-file ${ca} verify required
  default_backend app
backend app
  server app 127.0.0.1:${APP}
`;
}

export function haproxyClient(f: PairFiles, serverIp: string): string {
  const pem = write(f.dir, 'haproxy-c.pem', f.client.cert + '\n' + f.client.key);
  const ca = write(f.dir, 'roots.pem', f.roots);
  return `${HAPROXY_DEFAULTS}frontend fe
  bind 127.0.0.1:${HAPROXY.front}
  default_backend peer
backend peer
  server peer ${serverIp}:${HAPROXY.mtls} ssl crt ${pem} ca-file ${ca} verify required verifyhost ${SERVER_NAME}
`;
}

/** Starts one of the peer proxies inside a pod; returns its process. */
export function startPeer(
  pod: Pod,
  kind: 'nginx' | 'haproxy',
  config: string,
  dir: string,
): ChildProcess {
  const file = path.join(dir, `${kind}-${pod.ns}.conf`);
  writeFileSync(file, config);
  const cmd = kind === 'nginx' ? ['nginx', '-c', file, '-p', dir] : ['haproxy', '-f', file, '-db'];
  return pod.spawn(cmd);
}
