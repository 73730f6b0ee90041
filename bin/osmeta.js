#!/usr/bin/env node
import { createSystemContext, main } from '../dist/osmeta.js';

process.exitCode = await main(process.argv.slice(2), createSystemContext());
