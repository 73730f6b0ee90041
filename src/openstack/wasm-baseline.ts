import { setFlagsFromString } from 'node:v8';

// undici parses HTTP with llhttp compiled to WebAssembly. V8 tiers hot WebAssembly up to TurboFan on
// background threads, and Node waits for those jobs before it exits: measured 90-180 ms of idle
// time at the end of every osmeta get on a 2-core host. A CLI that makes a handful of requests is
// served as well by the baseline compiler, which leaves nothing behind. Must run before the first
// request compiles llhttp (undici does so lazily).
setFlagsFromString('--liftoff-only');
