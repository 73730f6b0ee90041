// The entry of the single executable (scripts/build-standalone.mjs): the same dispatch as bin/osmeta.js.
import { dispatch } from '../dispatch.js';
import { runAsProcess } from '../system.js';

void runAsProcess(dispatch);
