import type { Command } from 'commander';

import { dataPaths } from '../../config/paths.js';
import { AppError, invalidInput } from '../../shared/errors.js';
import { readDoors } from '../../simulator/doors.js';
import { runFleet } from '../../simulator/fleet.js';
import { MISBEHAVIOURS, type FleetPlan, type Misbehaviour } from '../../simulator/fleet-types.js';
import { readConfig, type LocationOptions } from '../context.js';
import { secretFrom } from '../secrets.js';
import { withLocation } from './customer.js';

interface SimulateOptions extends LocationOptions {
  registrationUser: string;
  registrationSecret?: string;
  registrationSecretFile?: string;
  tda: string;
  tm: string;
  protocol: string;
  duration: string;
  misbehave?: string;
}

const MOST_APPLIANCES = 500;
const PROTOCOLS = ['ssh', 'tls', 'both'] as const;

export function registerSimulate(program: Command): void {
  withLocation(program.command('simulate'))
    .description('run simulated appliances against the running servers (loopback testing)')
    .requiredOption('--registration-user <user>', "the customer account's registration user")
    .option('--registration-secret <secret>', 'its secret (prefer --registration-secret-file)')
    .option('--registration-secret-file <file>', 'file holding the secret')
    .option('--tda <count>', 'Threat Discovery Appliances to run', '1')
    .option('--tm <count>', 'Threat Mitigators to run', '0')
    .option('--protocol <protocol>', 'how logs are pushed: ssh, tls or both (alternating)', 'both')
    .option('--duration <seconds>', 'how long the appliances run', '60')
    .option('--misbehave <how>', `misbehave on purpose: ${MISBEHAVIOURS.join(', ')}`)
    .action(simulate);
}

async function simulate(options: SimulateOptions): Promise<void> {
  const secret = await secretFrom(
    'registration secret',
    options.registrationSecret,
    options.registrationSecretFile,
  );
  const plan = planOf(options, secret);
  const doors = await readDoors(dataPaths(readConfig(options)).endpointsFile);
  const report = (line: string): void => void process.stdout.write(`${line}\n`);
  report(
    `simulating ${plan.tda} TDA and ${plan.tm} TM for ${plan.userName} ` +
      `over ${plan.protocol} for ${plan.durationMs / 1000} s`,
  );
  const outcome = await runFleet({ ...plan, doors }, report);
  if (!outcome.ok) {
    throw new AppError('unavailable', 'no appliance came online and pushed logs');
  }
}

function planOf(options: SimulateOptions, secret: string): Omit<FleetPlan, 'doors'> {
  const tda = count('--tda', options.tda, 0, MOST_APPLIANCES);
  const tm = count('--tm', options.tm, 0, MOST_APPLIANCES);
  if (tda + tm === 0) throw invalidInput('--tda and --tm are both 0: nothing to simulate');
  return {
    userName: options.registrationUser,
    secret,
    tda,
    tm,
    protocol: oneOf('--protocol', options.protocol, PROTOCOLS),
    durationMs: count('--duration', options.duration, 1, 86_400) * 1000,
    misbehave:
      options.misbehave === undefined
        ? null
        : oneOf<Misbehaviour>('--misbehave', options.misbehave, MISBEHAVIOURS),
  };
}

function count(flag: string, text: string, lowest: number, highest: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < lowest || value > highest) {
    throw invalidInput(`${flag} must be a whole number from ${lowest} to ${highest}`);
  }
  return value;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  const found = allowed.find((item) => item === text);
  if (found === undefined) throw invalidInput(`${flag} must be one of ${allowed.join(', ')}`);
  return found;
}
