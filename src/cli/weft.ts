#!/usr/bin/env node
// `weft`: the one binary in weft's image; components arrive as subcommands.
import { runCaCommand } from '../../ca/command.js';
import { main, versionCommand } from './command.js';

main('weft', [
  versionCommand('weft'),
  { name: 'ca', summary: 'Run the certificate authority', run: runCaCommand },
]);
