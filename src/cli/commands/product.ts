import type { Command } from 'commander';

import { findCustomer } from '../../accounts/customers.js';
import { listProducts, setProductTimeZone } from '../../products/registered-products.js';
import { cliActor, withRuntime, type LocationOptions } from '../context.js';
import { formatTable } from '../output.js';
import { withLocation } from './customer.js';

export function registerProduct(program: Command): void {
  const product = program.command('product').description('registered products (appliances)');

  withLocation(product.command('set'))
    .description("change a registered product's settings")
    .requiredOption('--guid <guid>', 'the appliance GUID')
    .requiredOption(
      '--time-zone <zone>',
      "IANA zone its time stamps without a zone are read in (else its customer account's)",
    )
    .action(async (options: LocationOptions & { guid: string; timeZone: string }) => {
      const changed = await withRuntime(options, (runtime) =>
        setProductTimeZone(
          runtime.store,
          runtime.clock,
          { guid: options.guid, timeZone: options.timeZone },
          cliActor(),
        ),
      );
      process.stdout.write(`time zone of ${changed.guid} set to ${options.timeZone}\n`);
    });

  withLocation(product.command('list'))
    .description('list the registered products of a customer account')
    .requiredOption('--customer <name>', 'customer account name')
    .option('--json', 'machine-readable output')
    .action(async (options: LocationOptions & { customer: string; json?: boolean }) => {
      const products = await withRuntime(options, async (runtime) => {
        const customer = await findCustomer(runtime.store.db, options.customer);
        return listProducts(runtime.store.db, customer.id);
      });
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(products, null, 2)}\n`);
        return;
      }
      const rows = products.map((p) => [
        p.guid,
        p.type ?? '?',
        p.hostName ?? '',
        p.timeZone ?? '(customer)',
        p.lastLogReceived ?? '',
      ]);
      process.stdout.write(
        `${formatTable(['GUID', 'TYPE', 'HOST', 'TIME ZONE', 'LAST LOG'], rows)}\n`,
      );
    });
}
