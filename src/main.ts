// The one module bin/osmeta.js loads: dispatch and the system Context (dist/osmeta.js, see
// scripts/build.mjs). Everything else is loaded when a command needs it.
export { dispatch } from './dispatch.js';
export { createSystemContext } from './system.js';
