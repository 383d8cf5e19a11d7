import { execFileSync, spawnSync, type StdioOptions } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';

import { REPO_ROOT } from './processes.js';

const LIST = path.join(REPO_ROOT, 'scripts', 'bench-packages.txt');

function packagesNeeded(): string[] {
  return readFileSync(LIST, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean);
}

function isInstalled(name: string): boolean {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.includes('install ok installed');
}

/**
 * Installs the missing bench packages with apt when running as root, as CI does; otherwise
 * leaves them missing, and the parts that need them are skipped. Returns what it did.
 */
export function ensureBenchPackages(): string {
  const missing = packagesNeeded().filter((name) => !isInstalled(name));
  if (missing.length === 0) return 'bench packages already installed';
  if (process.getuid?.() !== 0) return `missing (install as root): ${missing.join(' ')}`;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const options = { env, stdio: ['ignore', 'ignore', 'inherit'] as StdioOptions };
  execFileSync('apt-get', ['update', '-qq'], options);
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], options);
  return `installed ${missing.join(' ')}`;
}

/** Where an executable is, looking in PATH and the system directories sshd lives in. */
export function findProgram(name: string): string | null {
  const dirs = (process.env['PATH'] ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin']);
  for (const dir of dirs.filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}
