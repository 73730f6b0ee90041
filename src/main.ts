// The one module bin/osmeta.js loads: the CLI and the system Context.
export { main } from './cli.js';
export { createSystemContext } from './context.js';
