// its own module: dispatch's fast path imports it, and nothing else of completion
/** The hidden entry the scripts call: `osmeta __complete <words…> <word being completed>`. */
export const COMPLETE_COMMAND = '__complete';
