#!/usr/bin/env node
// `weft`: the one binary in weft's image; components arrive as subcommands.
import { main, versionCommand } from './command.js';

main('weft', [versionCommand('weft')]);
