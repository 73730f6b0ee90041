// Replaced at build time from package.json (scripts/build.mjs); the fallback serves tests.
declare const __OSMETA_VERSION__: string | undefined;
export const VERSION: string = typeof __OSMETA_VERSION__ === 'string' ? __OSMETA_VERSION__ : '0.0.0-dev';
