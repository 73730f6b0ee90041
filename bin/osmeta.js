#!/usr/bin/env node
import { main } from '../dist/cli.js';
import { createSystemContext } from '../dist/context.js';

process.exitCode = await main(process.argv.slice(2), createSystemContext());
