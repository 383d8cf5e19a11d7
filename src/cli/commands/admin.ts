import type { Command } from 'commander';

import { resetAdministratorPassword } from '../../accounts/administrators.js';
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
}
