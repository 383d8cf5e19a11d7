import type { Command } from 'commander';

import { recordAudit } from '../../audit/audit-log.js';
import { addService } from '../../cas/services.js';
import { invalidInput } from '../../shared/errors.js';
import { inTransaction } from '../../storage/transaction.js';
import { cliActor, withRuntime, type LocationOptions } from '../context.js';
import { formatTable } from '../output.js';
import { withLocation } from './customer.js';

interface AddOptions extends LocationOptions {
  proxyCallback?: boolean;
  description?: string;
}

export function registerCas(program: Command): void {
  const cas = program.command('cas').description('the single sign-on service registry');
  const service = cas.command('service').description('services allowed to use single sign-on');

  withLocation(service.command('add'))
    .description('register a service URL (exact match) or, with --proxy-callback, a proxy callback')
    .argument('<url>', 'the exact service URL')
    .option('--proxy-callback', 'register a proxy callback (HTTPS only) instead of a service')
    .option('--description <text>', 'what the service is')
    .action(async (url: string, options: AddOptions) => {
      const kind = options.proxyCallback === true ? 'proxy_callback' : 'service';
      checkUrl(url, kind);
      await withRuntime(options, (runtime) =>
        inTransaction(runtime.store, async (db) => {
          const now = runtime.clock.now();
          await addService(db, url, kind, options.description ?? '', now);
          const actor = cliActor();
          await recordAudit(db, now, {
            actor: actor.name,
            source: actor.source,
            action: 'cas.service.add',
            target: url,
            result: 'success',
            detail: { kind },
          });
        }),
      );
      process.stdout.write(
        `${kind === 'service' ? 'service' : 'proxy callback'} ${url} registered\n`,
      );
    });

  withLocation(service.command('list'))
    .description('list the services registered by operators')
    .action(async (options: LocationOptions) => {
      const rows = await withRuntime(options, (runtime) =>
        runtime.store.db
          .selectFrom('casServices')
          .select(['kind', 'url', 'description'])
          .orderBy('url')
          .execute(),
      );
      process.stdout.write(
        `${formatTable(
          ['KIND', 'URL', 'DESCRIPTION'],
          rows.map((r) => [r.kind, r.url, r.description]),
        )}\n`,
      );
    });
}

function checkUrl(url: string, kind: 'service' | 'proxy_callback'): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidInput(`"${url}" is not a URL`);
  }
  if (parsed.username !== '' || parsed.password !== '' || parsed.hash !== '') {
    throw invalidInput('a service URL has no user info and no fragment');
  }
  if (parsed.protocol !== 'https:' && (kind === 'proxy_callback' || parsed.protocol !== 'http:')) {
    throw invalidInput(
      kind === 'proxy_callback'
        ? 'a proxy callback must be HTTPS'
        : 'a service URL must be HTTP(S)',
    );
  }
}
