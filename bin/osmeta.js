#!/usr/bin/env node
// sign, the hot path, has a bundle of its own (scripts/build.mjs); anything else loads the full CLI.
import { createSystemContext, trySign } from '../dist/sign.js';

const argv = process.argv.slice(2);
const ctx = createSystemContext();
process.exitCode = (await trySign(argv, ctx)) ?? (await (await import('../dist/osmeta.js')).main(argv, ctx));
