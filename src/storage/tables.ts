/**
 * Every table that holds data, in an order where a row's references come before it, with the
 * single column that orders it. Backups and restores walk this list; a test checks it is whole.
 */
export const DATA_TABLES: ReadonlyArray<{ name: string; key: string; ephemeral?: true }> = [
  { name: 'customer_accounts', key: 'id' },
  { name: 'registration_credentials', key: 'customer_id' },
  { name: 'logon_names', key: 'name_key' },
  { name: 'administrators', key: 'id' },
  { name: 'portal_logons', key: 'id' },
  { name: 'registered_products', key: 'id' },
  { name: 'received_files', key: 'id' },
  { name: 'customer_counters', key: 'customer_id' },
  { name: 'product_counters', key: 'product_id' },
  { name: 'detections', key: 'id' },
  { name: 'other_events', key: 'id' },
  { name: 'quarantined_lines', key: 'id' },
  { name: 'hourly_summaries', key: 'id' },
  { name: 'incidents', key: 'id' },
  { name: 'audit_events', key: 'id' },
  { name: 'administrator_customers', key: 'id' },
  { name: 'cas_services', key: 'id' },
  { name: 'settings', key: 'key' },
  // Sign-on state: a restored system starts with everyone signed out.
  { name: 'sso_sessions', key: 'id', ephemeral: true },
  { name: 'cas_tickets', key: 'ticket', ephemeral: true },
  { name: 'web_sessions', key: 'id_hash', ephemeral: true },
  { name: 'logon_throttle', key: 'key', ephemeral: true },
  { name: 'alarms', key: 'id' },
  { name: 'product_heartbeats', key: 'product_id' },
  { name: 'appliance_events', key: 'id' },
  // An appliance signs on again with its registration credentials after a restore.
  { name: 'appliance_sessions', key: 'token_hash', ephemeral: true },
  { name: 'patterns', key: 'id' },
  { name: 'pattern_deployments', key: 'id' },
  { name: 'forensic_cases', key: 'id' },
  // An upload in progress starts over after a restore: its partial file may not match.
  { name: 'forensic_uploads', key: 'id', ephemeral: true },
  { name: 'ocs_events', key: 'id' },
  { name: 'malware_mappings', key: 'id' },
  { name: 'ocs_bursts', key: 'id' },
  { name: 'network_configurations', key: 'product_id' },
  { name: 'monitored_networks', key: 'id' },
  { name: 'registered_domains', key: 'id' },
  { name: 'registered_services', key: 'id' },
];

/** The tables a backup carries. */
export const BACKUP_TABLES = DATA_TABLES.filter((table) => table.ephemeral !== true);

/** Tables whose key is a generated integer: PostgreSQL's sequence must follow a restore. */
export const SERIAL_TABLES = BACKUP_TABLES.filter((table) => table.key === 'id').map(
  (table) => table.name,
);
