/** Kysely table types. Timestamps are ISO-8601 UTC text on both stores so ordering and comparison agree. */
export interface InstanceSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface DB {
  instance_settings: InstanceSettingsTable;
}
