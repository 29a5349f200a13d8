#!/usr/bin/env node
// `weft`: the one binary in weft's image; components arrive as subcommands.
import { runCaCommand } from '../../ca/command.js';
import { runSidecarCommand } from '../../sidecar/command.js';
import { runWebhookCommand } from '../../webhook/command.js';
import { runControlPlane } from './control-plane.js';
import { runWaitReady } from './wait-ready.js';
import { runInitIptables } from './init-iptables.js';
import { main, versionCommand } from './command.js';

main('weft', [
  versionCommand('weft'),
  {
    name: 'control-plane',
    summary: 'Run the CA and the sidecar injector together (the default install)',
    run: runControlPlane,
  },
  { name: 'ca', summary: 'Run the certificate authority', run: runCaCommand },
  { name: 'webhook', summary: 'Run the sidecar injection webhook alone', run: runWebhookCommand },
  {
    name: 'sidecar',
    summary: "Run the pod's proxy (the weft-proxy container)",
    run: runSidecarCommand,
  },
  {
    name: 'init-iptables',
    summary: "Program the pod's traffic capture (the weft-init container)",
    run: runInitIptables,
  },
  {
    name: 'wait-ready',
    summary: "Wait until the pod's weft-proxy is ready (the postStart hook)",
    run: runWaitReady,
  },
]);
