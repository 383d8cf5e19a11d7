import { readFile } from 'node:fs/promises';

import type { Command } from 'commander';

import { addCustomer, disableCustomer, listCustomers } from '../../accounts/customers.js';
import { AppError, describeError, invalidInput } from '../../shared/errors.js';
import { loadSecretBox } from '../../system/runtime.js';
import { cliActor, withRuntime, type LocationOptions } from '../context.js';
import { formatTable } from '../output.js';

interface AddOptions extends LocationOptions {
  name: string;
  registrationUser: string;
  registrationSecret?: string;
  registrationSecretFile?: string;
  portalUser?: string;
  portalPassword?: string;
  portalPasswordFile?: string;
  timeZone?: string;
  company?: string;
}

export function registerCustomer(program: Command): void {
  const customer = program.command('customer').description('manage customer accounts');

  withLocation(customer.command('add'))
    .description('add a customer account with its registration credentials')
    .requiredOption('--name <name>', 'customer account name')
    .requiredOption('--registration-user <user>', 'user name the appliances register with')
    .option('--registration-secret <secret>', 'their secret (prefer --registration-secret-file)')
    .option('--registration-secret-file <file>', 'file holding the secret')
    .option('--portal-user <user>', "a portal logon for the customer's staff")
    .option('--portal-password <password>', 'its password (prefer --portal-password-file)')
    .option('--portal-password-file <file>', 'file holding the portal password')
    .option('--time-zone <zone>', 'IANA time zone for reports (default UTC)')
    .option('--company <company>', 'company name')
    .action(add);

  withLocation(customer.command('list'))
    .description('list customer accounts')
    .option('--json', 'machine-readable output')
    .action(list);

  withLocation(customer.command('disable'))
    .description('disable a customer account (its history stays readable)')
    .argument('<name>', 'customer account name')
    .action(disable);
}

export function withLocation(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'configuration file (JSON)');
}

async function add(options: AddOptions): Promise<void> {
  const registrationSecret = await oneOf(
    'registration secret',
    options.registrationSecret,
    options.registrationSecretFile,
  );
  const portalPassword =
    options.portalUser === undefined
      ? undefined
      : await oneOf('portal password', options.portalPassword, options.portalPasswordFile);

  await withRuntime(options, async (runtime) => {
    const secrets = await loadSecretBox(runtime);
    const created = await addCustomer(
      { store: runtime.store, clock: runtime.clock, secrets },
      {
        name: options.name,
        registrationUser: options.registrationUser,
        registrationSecret,
        portalUser: options.portalUser,
        portalPassword,
        timeZone: options.timeZone,
        company: options.company,
      },
      cliActor(),
    );
    process.stdout.write(`customer account ${created.name} added\n`);
  });
}

async function list(options: LocationOptions & { json?: boolean }): Promise<void> {
  const customers = await withRuntime(options, (runtime) => listCustomers(runtime.store.db));
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(customers, null, 2)}\n`);
    return;
  }
  const rows = customers.map((c) => [
    c.name,
    c.status,
    c.registrationUser ?? '',
    String(c.registeredProducts),
    c.timeZone,
    c.createdAt.toISOString(),
  ]);
  process.stdout.write(
    `${formatTable(['NAME', 'STATUS', 'REGISTRATION USER', 'PRODUCTS', 'TIME ZONE', 'CREATED'], rows)}\n`,
  );
}

async function disable(name: string, options: LocationOptions): Promise<void> {
  await withRuntime(options, async (runtime) => {
    const secrets = await loadSecretBox(runtime);
    await disableCustomer(
      { store: runtime.store, clock: runtime.clock, secrets },
      name,
      cliActor(),
    );
  });
  process.stdout.write(`customer account ${name} disabled\n`);
}

/** A secret given inline or, better, in a file (its one trailing newline dropped). */
async function oneOf(
  what: string,
  value: string | undefined,
  file: string | undefined,
): Promise<string> {
  if ((value === undefined) === (file === undefined)) {
    throw invalidInput(`give the ${what} either inline or as a file, exactly one of the two`);
  }
  if (value !== undefined) return value;
  try {
    return (await readFile(file as string, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new AppError('invalid_input', `cannot read the ${what} file: ${describeError(error)}`);
  }
}
