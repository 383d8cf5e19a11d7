import type { Command } from 'commander';

import { addCustomer, disableCustomer, listCustomers } from '../../accounts/customers.js';
import { loadSecretBox } from '../../system/runtime.js';
import { invalidInput } from '../../shared/errors.js';
import { cliActor, withRuntime, type LocationOptions } from '../context.js';
import { formatTable } from '../output.js';
import { secretFrom } from '../secrets.js';
import { rotateRegistrationSecret } from '../../accounts/registration-secrets.js';

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

  withLocation(customer.command('rotate-secret'))
    .description('give the appliances a new registration secret; the old one works for a while')
    .argument('<name>', 'customer account name')
    .option('--registration-secret <secret>', 'the new secret (prefer --registration-secret-file)')
    .option('--registration-secret-file <file>', 'file holding the new secret')
    .option('--grace-hours <hours>', 'how long the old secret keeps working', '72')
    .action(rotate);

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
  const registrationSecret = await secretFrom(
    'registration secret',
    options.registrationSecret,
    options.registrationSecretFile,
  );
  const portalPassword =
    options.portalUser === undefined
      ? undefined
      : await secretFrom('portal password', options.portalPassword, options.portalPasswordFile);

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

interface RotateOptions extends LocationOptions {
  registrationSecret?: string;
  registrationSecretFile?: string;
  graceHours: string;
}

async function rotate(name: string, options: RotateOptions): Promise<void> {
  const secret = await secretFrom(
    'registration secret',
    options.registrationSecret,
    options.registrationSecretFile,
  );
  const graceHours = Number(options.graceHours);
  if (!Number.isInteger(graceHours) || graceHours < 0 || graceHours > 24 * 90) {
    throw invalidInput('--grace-hours takes a whole number of hours from 0 to 2160');
  }
  const until = await withRuntime(options, async (runtime) => {
    const secrets = await loadSecretBox(runtime);
    return rotateRegistrationSecret(
      { store: runtime.store, clock: runtime.clock, secrets },
      name,
      secret,
      graceHours,
      cliActor(),
    );
  });
  process.stdout.write(
    `registration secret of ${name} rotated; the old one works until ${until.toISOString()}\n`,
  );
}
