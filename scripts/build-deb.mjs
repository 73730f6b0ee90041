// npm run build:deb → dist/osmeta_<version>_amd64.deb: the single executable as /usr/bin/osmeta,
// a man page made from its own --help, and osmeta-trace.service/.timer (installed, not enabled),
// packed with dpkg-deb. Installs on Debian 12 and Ubuntu 22.04/24.04 (the executable needs
// glibc ≥ 2.28 and libstdc++ ≥ GLIBCXX_3.4.21).
// OSMETA_DEB_EXECUTABLE and OSMETA_DEB_OUTDIR (the tests) pack another executable, elsewhere.
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
const exe = process.env.OSMETA_DEB_EXECUTABLE ?? `${root}dist/osmeta-linux-x64`;
const outDir = process.env.OSMETA_DEB_OUTDIR ?? `${root}dist`;
if (!existsSync(exe) && process.env.OSMETA_DEB_EXECUTABLE === undefined)
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
  parts.push(
    '.TP',
    '.I /lib/systemd/system/osmeta\\-trace.timer',
    'Runs osmeta\\-trace.service every minute once enabled (systemctl enable \\-\\-now osmeta\\-trace.timer).',
    '.TP',
    '.I /var/lib/prometheus/node\\-exporter/osmeta.prom',
    "What osmeta\\-trace.service writes for node_exporter's textfile collector; see /usr/share/doc/osmeta/prometheus.md.",
  );
  parts.push('.SH SEE ALSO', '.BR openstack (1)', '');
  return parts.join('\n');
}

/** The systemd units: in /lib/systemd/system, not enabled; the package only tells systemd they changed. */
const SYSTEMD_UNITS = ['osmeta-trace.service', 'osmeta-trace.timer'];
const UNIT_DIR = 'lib/systemd/system';
const TEXTFILE = '/var/lib/prometheus/node-exporter/osmeta.prom';
const maintainerScripts = {
  postinst: [
    '#!/bin/sh',
    'set -e',
    '# osmeta-trace.timer is installed, not enabled: systemctl enable --now osmeta-trace.timer',
    'if [ "$1" = configure ] && [ -d /run/systemd/system ]; then',
    '  systemctl --system daemon-reload >/dev/null || true',
    'fi',
  ],
  prerm: [
    '#!/bin/sh',
    'set -e',
    'if [ "$1" = remove ] && [ -d /run/systemd/system ]; then',
    `  systemctl --system stop ${SYSTEMD_UNITS.slice().reverse().join(' ')} >/dev/null 2>&1 || true`,
    'fi',
  ],
  postrm: [
    '#!/bin/sh',
    'set -e',
    'if [ -d /run/systemd/system ]; then',
    '  systemctl --system daemon-reload >/dev/null || true',
    'fi',
    'case "$1" in',
    '  remove | purge)',
    '    # the metrics of a removed osmeta would only go stale',
    `    rm -f ${TEXTFILE}`,
    '    ;;',
    'esac',
    'if [ "$1" = purge ]; then',
    '  # the timer, if it was enabled',
    '  rm -f /etc/systemd/system/timers.target.wants/osmeta-trace.timer',
    'fi',
  ],
};

const version = pkg.version;
const stage = `${outDir}/deb/osmeta_${version}_amd64`;
rmSync(`${outDir}/deb`, { recursive: true, force: true });
for (const d of ['DEBIAN', 'usr/bin', 'usr/share/man/man1', 'usr/share/doc/osmeta/examples', UNIT_DIR])
  mkdirSync(`${stage}/${d}`, { recursive: true });
copyFileSync(exe, `${stage}/usr/bin/osmeta`);
chmodSync(`${stage}/usr/bin/osmeta`, 0o755);
const install = (from, to, mode) => {
  copyFileSync(`${root}${from}`, `${stage}/${to}`);
  chmodSync(`${stage}/${to}`, mode);
};
for (const u of SYSTEMD_UNITS) install(`packaging/systemd/${u}`, `${UNIT_DIR}/${u}`, 0o644);
install('docs/prometheus.md', 'usr/share/doc/osmeta/prometheus.md', 0o644);
install('docs/alerts/osmeta-rules.yml', 'usr/share/doc/osmeta/examples/osmeta-rules.yml', 0o644);
for (const [name, lines] of Object.entries(maintainerScripts)) {
  writeFileSync(`${stage}/DEBIAN/${name}`, `${lines.join('\n')}\n`);
  chmodSync(`${stage}/DEBIAN/${name}`, 0o755);
}
// the completion scripts, from the executable itself (osmeta completion <shell>), where Debian's
// bash-completion, zsh and fish look for a package's
const COMPLETIONS = {
  bash: 'usr/share/bash-completion/completions/osmeta',
  zsh: 'usr/share/zsh/vendor-completions/_osmeta',
  fish: 'usr/share/fish/vendor_completions.d/osmeta.fish',
};
for (const [shell, to] of Object.entries(COMPLETIONS)) {
  mkdirSync(`${stage}/${to.slice(0, to.lastIndexOf('/'))}`, { recursive: true });
  writeFileSync(`${stage}/${to}`, execFileSync(exe, ['completion', shell], { encoding: 'utf8' }));
  chmodSync(`${stage}/${to}`, 0o644);
}
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
    // trace --all reads many namespaces through one python3 helper; without it, one `ip` each
    'Recommends: python3, iproute2',
    `Installed-Size: ${sizeKb}`,
    'Maintainer: osmeta maintainers <osmeta@localhost>',
    `Description: ${pkg.description}`,
    " osmeta signs instance IDs as nova expects, queries nova's metadata API as the",
    " neutron metadata agent would, traces every hop of a guest's metadata path on a",
    ' network node, and checks every server in CI. One self-contained executable: no',
    ' Node.js needed. osmeta-trace.timer (installed, not enabled) writes what trace',
    " finds every minute for Prometheus node_exporter's textfile collector.",
    '',
  ].join('\n'),
);
const deb = `${outDir}/osmeta_${version}_amd64.deb`;
rmSync(deb, { force: true });
execFileSync('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', stage, deb], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
rmSync(`${outDir}/deb`, { recursive: true, force: true });
console.log(`${deb}: ${(statSync(deb).size / 1048576).toFixed(1)} MiB`);
