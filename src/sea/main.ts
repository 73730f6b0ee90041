// The entry of the single executable (scripts/build-standalone.mjs): the same dispatch as bin/osmeta.js.
import { dispatch } from '../dispatch.js';
import { createSystemContext } from '../system.js';

dispatch(process.argv.slice(2), createSystemContext()).then((code) => {
  process.exitCode = code;
});
