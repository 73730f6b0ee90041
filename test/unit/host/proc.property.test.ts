import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCmdline, parseProcStatus } from '../../../src/host/proc.js';
import { listensOn, parseProcNetTcp, parseProcNetUnix } from '../../../src/host/proc-net.js';
import { hostileText, onlyOsmetaErrors, RUNS } from '../../helpers/hostile-input.js';

// /proc is the kernel's, but a process title (cmdline) and a socket path are whatever a process
// chose, and a truncated read is possible: the parsers must not throw or hang on any of it.

const hex = fc.stringMatching(/^[0-9A-Fa-f]{0,40}$/);
const tcpLine = fc
  .tuple(fc.nat(999), hex, hex, hex, hex, hex, fc.nat(), fc.nat())
  .map(
    ([n, la, lp, ra, rp, st, uid, inode]) =>
      `${n}: ${la}:${lp} ${ra}:${rp} ${st} 0:0 0:0 0 ${uid} 0 ${inode} 1 0`,
  );

describe('/proc parsers on hostile input', () => {
  it('parseProcNetTcp: rows with malformed addresses are skipped, never thrown on', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(tcpLine, hostileText([':', ' ', '0', 'A'])), { maxLength: 20 }),
        (lines) => {
          const text = `header\n${lines.join('\n')}`;
          const rows = onlyOsmetaErrors(() => parseProcNetTcp(text));
          if (rows instanceof Error) throw rows;
          for (const r of rows) expect(Number.isNaN(r.localPort)).toBe(false);
          onlyOsmetaErrors(() => listensOn(rows, '0.0.0.0', 80));
        },
      ),
      RUNS,
    );
  });

  it('parseProcNetUnix, parseProcStatus and parseCmdline never throw and end quickly', () => {
    fc.assert(
      fc.property(hostileText([':', ' ', '\0', '(', ')', '/', '@']), (text) => {
        for (const f of [parseProcNetUnix, parseProcStatus, parseCmdline]) {
          const r = onlyOsmetaErrors(() => f(text));
          if (r instanceof Error) throw r;
        }
      }),
      RUNS,
    );
  });
});
