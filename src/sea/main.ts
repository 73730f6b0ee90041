// The entry of the single executable (scripts/build-standalone.mjs): the same CLI as bin/osmeta.js.
import { main } from '../cli.js';
import { createSystemContext } from '../context.js';

main(process.argv.slice(2), createSystemContext()).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
