#!/usr/bin/env node
// `weft`: the one binary in weft's image; components arrive as subcommands.
// Each command's module loads only when that command runs: the sidecar in every
// pod must not carry the Kubernetes client the control plane needs (it measured
// ~60 MB of resident memory).
import { main, versionCommand } from './command.js';

const runCaCommand = async (a: readonly string[]): Promise<number> =>
  (await import('../ca/command.js')).runCaCommand(a);
const runSidecarCommand = async (a: readonly string[]): Promise<number> =>
  (await import('../sidecar/command.js')).runSidecarCommand(a);
const runWebhookCommand = async (a: readonly string[]): Promise<number> =>
  (await import('../webhook/command.js')).runWebhookCommand(a);
const runDiscoveryCommand = async (a: readonly string[]): Promise<number> =>
  (await import('../discovery/command.js')).runDiscoveryCommand(a);
const runControlPlane = async (a: readonly string[]): Promise<number> =>
  (await import('./control-plane.js')).runControlPlane(a);
const runWaitReady = async (a: readonly string[]): Promise<number> =>
  (await import('./wait-ready.js')).runWaitReady(a);
const runInitIptables = async (a: readonly string[]): Promise<number> =>
  (await import('./init-iptables.js')).runInitIptables(a);

main('weft', [
  versionCommand('weft'),
  {
    name: 'control-plane',
    summary: 'Run the CA, the sidecar injector and discovery together (the default install)',
    run: runControlPlane,
  },
  { name: 'ca', summary: 'Run the certificate authority', run: runCaCommand },
  { name: 'webhook', summary: 'Run the sidecar injection webhook alone', run: runWebhookCommand },
  {
    name: 'discovery',
    summary: "Run discovery alone (each sidecar's config stream)",
    run: runDiscoveryCommand,
  },
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
