#!/usr/bin/env node
// `kubectl weft`: kubectl finds this on PATH as kubectl-weft.
import { main, versionCommand } from './command.js';
import { runInject } from './inject-command.js';

main('kubectl weft', [
  versionCommand('kubectl weft'),
  {
    name: 'inject',
    summary: 'Print manifests with the weft sidecar injected (as the webhook would)',
    run: runInject,
  },
]);
