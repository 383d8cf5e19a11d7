import type { FleetCounters } from './fleet-types.js';
import { fakePackage, uploadForensicPackage } from './forensics.js';
import { ocsBurst, postOcsEvents, putNetworkConfiguration, simulatedNetwork } from './ocs.js';
import { followPatterns } from './patterns.js';
import type { Random } from './random.js';
import type { ApplianceIdentity, StatusAccess } from './status-api.js';

/** What an appliance's activities beside heartbeats and pushes work with. */
export interface ActivityContext {
  label: string;
  identity: ApplianceIdentity;
  subnet: number;
  random: Random;
  counters: FleetCounters;
  report: (line: string) => void;
  /** Aborted when the appliance stops: open streams close. */
  stop: AbortSignal;
}

/** The first OCS burst and forensic upload come early, so that a short demo shows them. */
const FIRST_OUTBREAK_TICKS = 6;
const FIRST_UPLOAD_TICKS = 4;
/** After the first, one burst or upload in this many ticks on average. */
const LATER_EVERY_TICKS = 60;
const PACKAGE_BYTES = { least: 64 * 1024, most: 2 * 1024 * 1024 };

/**
 * What an appliance does beside heartbeats and log pushes: a TDA reports its network once and
 * posts OCS bursts now and then; a TM follows the pattern event stream (a deployed pattern's
 * version goes into its heartbeats, which is what confirms it) and uploads forensic packages.
 */
export class ApplianceActivities {
  private ticks = 0;
  private following: Promise<void> = Promise.resolve();
  private deployedSinceHeartbeat = false;

  constructor(private readonly context: ActivityContext) {}

  /** Once the appliance is online with a session. */
  async begin(access: StatusAccess): Promise<void> {
    const { identity } = this.context;
    if (identity.type === 'tda') {
      await this.attempt('network configuration', () =>
        putNetworkConfiguration(access, identity.guid, simulatedNetwork(this.context.subnet)),
      );
      return;
    }
    this.following = this.followPatterns(access);
  }

  /** Every tick of the appliance's life (half a second). */
  async tick(access: StatusAccess): Promise<void> {
    this.ticks += 1;
    const first = this.context.identity.type === 'tda' ? FIRST_OUTBREAK_TICKS : FIRST_UPLOAD_TICKS;
    const due = this.ticks === first || this.context.random.chance(1 / LATER_EVERY_TICKS);
    if (!due) return;
    if (this.context.identity.type === 'tda') await this.outbreak(access);
    else await this.upload(access);
  }

  /**
   * Whether a heartbeat is due now: a pattern was just deployed, and only a heartbeat naming
   * its version confirms it, as a real Threat Mitigator reports a newly loaded pattern at once.
   */
  takeHeartbeatRequest(): boolean {
    const wanted = this.deployedSinceHeartbeat;
    this.deployedSinceHeartbeat = false;
    return wanted;
  }

  /** The event stream ends with the appliance's stop signal. */
  async end(): Promise<void> {
    await this.following;
  }

  private async outbreak(access: StatusAccess): Promise<void> {
    const { random, subnet, identity, counters } = this.context;
    const events = ocsBurst(random, subnet, new Date(), random.int(3, 12));
    await this.attempt('OCS log', async () => {
      const reply = await postOcsEvents(access, identity.guid, events);
      counters.ocsEvents += reply.stored;
    });
  }

  private async upload(access: StatusAccess): Promise<void> {
    const { random, identity, counters } = this.context;
    const endpoint = `pc${random.int(2, 250)}`;
    const size = random.int(PACKAGE_BYTES.least, PACKAGE_BYTES.most);
    await this.attempt('forensic upload', async () => {
      await uploadForensicPackage(access, fakePackage(identity.guid, endpoint, size));
      counters.forensicUploads += 1;
    });
  }

  private async followPatterns(access: StatusAccess): Promise<void> {
    const { identity, counters, stop } = this.context;
    const client = { ...access, guid: identity.guid };
    await this.attempt('pattern stream', () =>
      followPatterns(client, stop, (version) => {
        identity.patternVersion = version;
        this.deployedSinceHeartbeat = true;
        counters.patternsDeployed += 1;
        this.context.report(`${this.context.label} deployed pattern ${version}`);
      }),
    );
  }

  /** A failed call is counted and shown; the appliance lives on. */
  private async attempt(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (this.context.stop.aborted) return;
      this.context.counters.activityFailures += 1;
      const message = error instanceof Error ? error.message : String(error);
      this.context.report(`${this.context.label} ${what} failed: ${message}`);
    }
  }
}
