#!/usr/bin/env node
// The one test command (`npm test`): makes sure the tools the tests use are there (installing
// them with apt where it runs as root, as CI does), then type-checks, lints, checks formatting
// and runs every test, on SQLite and, when one answers, on PostgreSQL.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';

const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';

function packagesNeeded() {
  const text = readFileSync(new URL('./test-packages.txt', import.meta.url), 'utf8');
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

function isInstalled(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

function ensurePackages() {
  const missing = packagesNeeded().filter((name) => !isInstalled(name));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(`tests need these Debian packages: ${missing.join(' ')} (install them as root)`);
    process.exit(1);
  }
  console.log(`installing ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
}

function postgresAnswers(url) {
  const probe = `import pg from 'pg'; const c = new pg.Client({ connectionString: process.argv[1],
    connectionTimeoutMillis: 3000 }); c.connect().then(() => c.end()).then(() => process.exit(0),
    () => process.exit(1));`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', probe, url]).status === 0;
}

function run(step, command, args) {
  console.log(`\n== ${step}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
  if (result.status !== 0) {
    console.error(`${step} failed`);
    process.exit(result.status ?? 1);
  }
}

// Debian's security updates gave bookworm rsync 3.5.0; appliances in the field still run 3.2.7.
// The archive keeps that revision: unpacked beside the project, the tests run it as a second client.
const RSYNC_327 = '3.2.7-1+deb12u6';

function ensureRsync327() {
  const dir = new URL('../.tmp/rsync-3.2.7/', import.meta.url).pathname;
  const binary = `${dir}usr/bin/rsync`;
  if (spawnSync(binary, ['--version']).status === 0) return binary;
  mkdirSync(dir, { recursive: true });
  const download = spawnSync('apt-get', ['download', `rsync=${RSYNC_327}`], { cwd: dir });
  const deb = readdirSync(dir).find((name) => name.endsWith('.deb'));
  if (download.status !== 0 || deb === undefined) {
    if (process.getuid?.() === 0) {
      console.error(`apt-get download rsync=${RSYNC_327} failed: ${download.stderr}`);
      process.exit(1);
    }
    console.warn('rsync 3.2.7 could not be fetched: its interop runs are skipped');
    return null;
  }
  execFileSync('dpkg', ['-x', `${dir}${deb}`, dir]);
  return binary;
}

ensurePackages();
process.env.TMSP_RSYNC_327 ??= ensureRsync327() ?? '';
if (!process.env.DATABASE_URL) {
  if (postgresAnswers(LOCAL_POSTGRES)) process.env.DATABASE_URL = LOCAL_POSTGRES;
  else console.warn('no PostgreSQL answers at DATABASE_URL or locally: its runs are skipped');
}

const bin = (name) => new URL(`../node_modules/.bin/${name}`, import.meta.url).pathname;
run('type check', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
run('build', bin('tsc'), ['-p', 'tsconfig.build.json']);
run('lint', bin('eslint'), ['--max-warnings', '0', '.']);
run('format', bin('prettier'), ['--check', '--log-level', 'warn', '.']);
run('tests', bin('vitest'), ['run', ...process.argv.slice(2)]);
