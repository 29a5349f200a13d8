#!/usr/bin/env node
// `kubectl weft`: kubectl finds this on PATH as kubectl-weft.
import { main, versionCommand } from './command.js';

main('kubectl weft', [versionCommand('kubectl weft')]);
