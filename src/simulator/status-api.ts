import { callHttps, unexpected } from './https-client.js';

/** What an appliance tells the status server about itself in every heartbeat. */
export interface ApplianceIdentity {
  guid: string;
  type: 'tda' | 'tm';
  hostName: string;
  ipAddress: string;
  version: string;
  timeZone: string;
  patternVersion: string;
}

export type HeartbeatState = 'online' | 'going-offline';

/** A signed-on session as the other calls of the appliance API use it. */
export interface StatusAccess {
  statusUrl: string;
  /** The TMSP CA: appliances trust it alone. */
  ca: string;
  token: string;
}

export interface HeartbeatReply {
  heartbeatIntervalSeconds: number;
  clockSkewSeconds: number;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const LICENCE_DAYS = 200;

/** A bearer session at the status server's appliance API, opened with a service ticket. */
export class StatusSession {
  private constructor(
    private readonly statusUrl: string,
    private readonly ca: string,
    private readonly token: string,
  ) {}

  static async open(statusUrl: string, ca: string, ticket: string): Promise<StatusSession> {
    const answer = await callHttps({
      method: 'POST',
      url: `${statusUrl}/v1/sessions`,
      ca,
      headers: JSON_TYPE,
      body: JSON.stringify({ ticket }),
    });
    if (answer.status !== 201) throw unexpected('session request', answer);
    const { token } = JSON.parse(answer.text) as { token: string };
    return new StatusSession(statusUrl, ca, token);
  }

  get access(): StatusAccess {
    return { statusUrl: this.statusUrl, ca: this.ca, token: this.token };
  }

  async heartbeat(
    identity: ApplianceIdentity,
    state: HeartbeatState,
    sentAt: Date,
  ): Promise<HeartbeatReply> {
    const answer = await callHttps({
      method: 'POST',
      url: `${this.statusUrl}/v1/heartbeats`,
      ca: this.ca,
      headers: { ...JSON_TYPE, authorization: `Bearer ${this.token}` },
      body: JSON.stringify(heartbeatBody(identity, state, sentAt)),
    });
    if (answer.status !== 200) throw unexpected('heartbeat', answer);
    return JSON.parse(answer.text) as HeartbeatReply;
  }

  async close(): Promise<void> {
    await callHttps({
      method: 'DELETE',
      url: `${this.statusUrl}/v1/sessions/current`,
      ca: this.ca,
      headers: { authorization: `Bearer ${this.token}` },
    });
  }
}

function heartbeatBody(
  identity: ApplianceIdentity,
  state: HeartbeatState,
  sentAt: Date,
): Record<string, unknown> {
  const licence = new Date(sentAt.getTime() + LICENCE_DAYS * 86_400_000);
  // Only the field of its own type: the API refuses unknown fields.
  const typeField =
    identity.type === 'tda' ? { securityCompliance: true } : { canRunMitigation: true };
  return {
    ...identity,
    ...typeField,
    sentAt: sentAt.toISOString(),
    licenceExpiresAt: licence.toISOString(),
    state,
  };
}
