// npm run build:deb → dist/osmeta_<version>_amd64.deb: the single executable as /usr/bin/osmeta and
// a man page made from its own --help, packed with dpkg-deb. Installs on Debian 12 and Ubuntu
// 22.04/24.04 (the executable needs glibc ≥ 2.28 and libstdc++ ≥ GLIBCXX_3.4.21).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { gzipSync } from 'node:zlib';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const exe = `${root}dist/osmeta-linux-x64`;
if (!existsSync(exe))
  execFileSync(process.execPath, [`${root}scripts/build-standalone.mjs`], { stdio: 'inherit' });

const help = (args) =>
  execFileSync(exe, [...args, '--help'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, NO_COLOR: '1' },
  });
const roff = (s) =>
  s
    .replace(/\\/g, '\\e')
    .replace(/^([.'])/gm, '\\&$1')
    .replace(/-/g, '\\-');

/** A man page from the program's own help: NAME, SYNOPSIS, each command's help, exit codes. */
function manPage() {
  const date = new Date().toISOString().slice(0, 10);
  const top = help([]);
  const commands = [
    'sign',
    'get',
    'trace',
    'smoke',
    'secret',
    'secret set',
    'secret status',
    'secret delete',
  ].filter((c) => {
    try {
      help(c.split(' '));
      return true;
    } catch {
      return false;
    }
  });
  const parts = [
    `.TH OSMETA 1 "${date}" "osmeta ${pkg.version}" "User Commands"`,
    '.SH NAME',
    `osmeta \\- ${roff(pkg.description)}`,
    '.SH SYNOPSIS',
    '.B osmeta',
    '[\\fIoptions\\fR] \\fIcommand\\fR [\\fIarguments\\fR]',
    '.SH DESCRIPTION',
    '.nf',
    roff(top.trimEnd()),
    '.fi',
  ];
  for (const c of commands) {
    parts.push(`.SH "osmeta ${c.toUpperCase()}"`, '.nf', roff(help(c.split(' ')).trimEnd()), '.fi');
  }
  parts.push('.SH FILES', '.TP', '.I ~/.cache/osmeta/', 'Keystone token cache (0700 directory, 0600 files).');
  parts.push('.SH SEE ALSO', '.BR openstack (1)', '');
  return parts.join('\n');
}

const version = pkg.version;
const stage = `${root}dist/deb/osmeta_${version}_amd64`;
rmSync(`${root}dist/deb`, { recursive: true, force: true });
for (const d of ['DEBIAN', 'usr/bin', 'usr/share/man/man1', 'usr/share/doc/osmeta'])
  mkdirSync(`${stage}/${d}`, { recursive: true });
copyFileSync(exe, `${stage}/usr/bin/osmeta`);
chmodSync(`${stage}/usr/bin/osmeta`, 0o755);
writeFileSync(`${stage}/usr/share/man/man1/osmeta.1.gz`, gzipSync(manPage(), { level: 9 }));
writeFileSync(
  `${stage}/usr/share/doc/osmeta/copyright`,
  `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: osmeta\n\nFiles: *\nLicense: ${pkg.license}\n`,
);
const sizeKb = Math.ceil(statSync(exe).size / 1024) + 64;
writeFileSync(
  `${stage}/DEBIAN/control`,
  [
    'Package: osmeta',
    `Version: ${version}`,
    'Section: admin',
    'Priority: optional',
    'Architecture: amd64',
    'Depends: libc6 (>= 2.28), libstdc++6 (>= 5.2), libgcc-s1 | libgcc1',
    `Installed-Size: ${sizeKb}`,
    'Maintainer: osmeta maintainers <osmeta@localhost>',
    `Description: ${pkg.description}`,
    " osmeta signs instance IDs as nova expects, queries nova's metadata API as the",
    " neutron metadata agent would, traces every hop of a guest's metadata path on a",
    ' network node, and checks every server in CI. One self-contained executable: no',
    ' Node.js needed.',
    '',
  ].join('\n'),
);
const deb = `${root}dist/osmeta_${version}_amd64.deb`;
rmSync(deb, { force: true });
execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', stage, deb], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
rmSync(`${root}dist/deb`, { recursive: true, force: true });
console.log(`${deb}: ${(statSync(deb).size / 1048576).toFixed(1)} MiB`);
