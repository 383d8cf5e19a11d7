import type { Command } from 'commander';

import { resetAdministratorPassword } from '../../accounts/administrators.js';
import type { AccountsContext } from '../../accounts/customers.js';
import { addAdministrator } from '../../accounts/new-administrator.js';
import {
  enrollSecondFactor,
  removeSecondFactor,
  requireSecondFactor,
} from '../../accounts/second-factor.js';
import { otpauthUri } from '../../accounts/totp.js';
import { invalidInput, notFound } from '../../shared/errors.js';
import { loadSecretBox, type Runtime } from '../../system/runtime.js';
import { recordAudit } from '../../audit/audit-log.js';
import { clearFailures, personKey } from '../../cas/throttle.js';
import { cliActor, withRuntime, type LocationOptions } from '../context.js';
import { withLocation } from './customer.js';
import { secretFrom } from '../secrets.js';

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('local rescue for administrators');

  withLocation(admin.command('unlock'))
    .description('lift the lockout of a user name after failed logons')
    .argument('<user>', 'user name')
    .action(async (userName: string, options: LocationOptions) => {
      await withRuntime(options, async (runtime) => {
        const actor = cliActor();
        const known = await runtime.store.db
          .selectFrom('logonNames')
          .select('kind')
          .where('nameKey', '=', userName.toLowerCase())
          .executeTakeFirst();
        if (known === undefined) throw notFound(`user "${userName}"`);
        await clearFailures(runtime.store.db, personKey(userName));
        await recordAudit(runtime.store.db, runtime.clock.now(), {
          actor: actor.name,
          source: actor.source,
          action: 'logon.unlock',
          target: userName,
          result: 'success',
        });
      });
      process.stdout.write(`${userName} unlocked\n`);
    });

  withLocation(admin.command('reset-password'))
    .description('set a new password, to be changed at the next logon')
    .argument('<user>', 'administrator user name')
    .option('--password <password>', 'the new password (prefer --password-file)')
    .option('--password-file <file>', 'file holding the new password')
    .action(
      async (
        userName: string,
        options: LocationOptions & { password?: string; passwordFile?: string },
      ) => {
        const password = await secretFrom('password', options.password, options.passwordFile);
        await withRuntime(options, (runtime) =>
          resetAdministratorPassword(runtime.store, runtime.clock, userName, password, cliActor()),
        );
        process.stdout.write(
          `password of ${userName} reset; it must be changed at the next logon\n`,
        );
      },
    );

  withLocation(admin.command('add'))
    .description('add an administrator (the password must be changed at the first logon)')
    .argument('<user>', 'user name')
    .option('--password <password>', 'the first password (prefer --password-file)')
    .option('--password-file <file>', 'file holding the first password')
    .option('--customers <names>', 'comma-separated customer accounts to assign')
    .option('--all-customers', 'see and manage every customer account')
    .action(add);

  registerSecondFactor(admin);
}

interface AddOptions extends LocationOptions {
  password?: string;
  passwordFile?: string;
  customers?: string;
  allCustomers?: boolean;
}

async function add(userName: string, options: AddOptions): Promise<void> {
  if ((options.customers === undefined) === (options.allCustomers !== true)) {
    throw invalidInput('give either --customers or --all-customers');
  }
  const password = await secretFrom('password', options.password, options.passwordFile);
  const customers =
    options.allCustomers === true
      ? 'all'
      : (options.customers ?? '')
          .split(',')
          .map((name) => name.trim())
          .filter(Boolean);
  await withRuntime(options, (runtime) =>
    addAdministrator(runtime.store, runtime.clock, { userName, password, customers }, cliActor()),
  );
  process.stdout.write(`administrator ${userName} added\n`);
}

function registerSecondFactor(admin: Command): void {
  const totp = admin.command('totp').description('the TOTP second factor of administrators');

  withLocation(totp.command('enroll'))
    .description('give an administrator a new TOTP secret and print it once')
    .argument('<user>', 'administrator user name')
    .action(async (userName: string, options: LocationOptions) => {
      const secret = await withRuntime(options, async (runtime) =>
        enrollSecondFactor(await accountsContext(runtime), userName, cliActor()),
      );
      process.stdout.write(`secret: ${secret}\n${otpauthUri('TMSP', userName, secret)}\n`);
    });

  withLocation(totp.command('remove'))
    .description("remove an administrator's second factor")
    .argument('<user>', 'administrator user name')
    .action(async (userName: string, options: LocationOptions) => {
      await withRuntime(options, async (runtime) =>
        removeSecondFactor(await accountsContext(runtime), userName, cliActor()),
      );
      process.stdout.write(`second factor of ${userName} removed\n`);
    });

  withLocation(totp.command('require'))
    .description('make a second factor mandatory for every administrator (on) or optional (off)')
    .argument('<state>', 'on or off')
    .action(async (state: string, options: LocationOptions) => {
      if (state !== 'on' && state !== 'off') throw invalidInput('say on or off');
      await withRuntime(options, async (runtime) =>
        requireSecondFactor(await accountsContext(runtime), state === 'on', cliActor()),
      );
      process.stdout.write(`second factor ${state === 'on' ? 'required' : 'optional'}\n`);
    });
}

async function accountsContext(runtime: Runtime): Promise<AccountsContext> {
  return { store: runtime.store, clock: runtime.clock, secrets: await loadSecretBox(runtime) };
}
