#!/usr/bin/env node
// dispatch never throws and never exits: it returns the exit code (src/dispatch.ts).
import { createSystemContext, dispatch } from '../dist/osmeta.js';

process.exitCode = await dispatch(process.argv.slice(2), createSystemContext());
