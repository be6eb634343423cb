// The shapes of what make check gathers (facts.ts fills them): each node's server, the PRIMARY's
// publications, slots and walsenders, each replica's subscriptions and worker log.
import type { PublishedPart } from '../publication-tables.js'
import type { Role } from '../config.js'
import type { FailureKind } from '../db.js'
import type { SequenceValue } from '../replication/sequences.js'
import type { ApplyCause, ApplyFailure, LoggedConflict, WorkerError } from '../replication/worker-log.js'
import type { Column } from '../replication/schema-drift.js'
import type { HbaRule } from '../replication/hba-rules.js'
import type { TableCompare } from '../compare/at-lsn.js'
import type { TableSum } from './fingerprint.js'
import type { SubscriptionOptions } from '../replication/options.js'
import type { WalDisk } from '../server-access.js'
import type { GuardedView } from '../sql-files.js'

export type { TableSum }

export interface Setting {
  setting: string
  pendingRestart: boolean
}

export interface ServerFacts {
  version: string
  /** server_version_num: what version-dependent queries and verdicts are chosen by. */
  versionNum: number
  inRecovery: boolean
  /** pg_current_wal_lsn(); null on a server in recovery. */
  currentLsn: string | null
  /** wal_level as the configuration files set it (what a restart would apply); null when unset there or unreadable. */
  walLevelInFile: string | null
  /** New client sessions of the database start read-only (its own default_transaction_read_only). */
  readOnlyForClients: boolean
  settings: Record<string, Setting>
  walSendersUsed: number
  slotsUsed: number
  /** make schema installed replkit.table_fingerprint here (checksums need it). */
  hasFingerprint: boolean
  /** The TLS version of replkit's own session to the node; null when unencrypted. */
  tls: string | null
  /** The role replkit reads the node as (current_user). */
  role: string
  /** Views this role may not read (superuser only by default): what make check could not see there. */
  unreadable: GuardedView[]
}

export interface Publication {
  name: string
  allTables: boolean
}

export interface PublishedTable {
  schema: string
  table: string
  exists: boolean
  publications: string[]
  hasPrimaryKey: boolean
  replicaIdentity: 'default' | 'nothing' | 'full' | 'index' | null
}

export interface Slot {
  name: string
  type: string
  plugin: string | null
  active: boolean
  walStatus: string | null
  /** WAL the server keeps for this slot: current LSN minus restart_lsn. */
  retainedBytes: number | null
  /** WAL the consumer has not confirmed: current LSN minus confirmed_flush_lsn (logical slots). */
  unconfirmedBytes: number | null
  /** WAL that may still be written before the slot is lost; null without max_slot_wal_keep_size. */
  safeWalSize: number | null
  /** 17+: why the slot was invalidated (wal_removed, rows_removed, wal_level_insufficient, 18: idle_timeout); null on 15–16 or when valid. */
  invalidationReason: string | null
  /** 17+: since when no consumer has used the slot; null while active, or on 15–16. */
  inactiveSince: Date | null
  /** 17+: the slot is synchronised to physical standbys (failover = true); null on 15–16. */
  failover: boolean | null
}

export interface UnpublishedTable {
  schema: string
  table: string
  writes: number
  liveRows: number
}

export interface WalSender {
  applicationName: string
  state: string
  lagBytes: number | null
  /** NULL while idle: caught up. */
  replayLagMs: number | null
}

/** A session on the replica holding a lock the apply worker waits for (pg_blocking_pids). */
export interface BlockingSession {
  pid: number
  application: string
  state: string
  /** Seconds since its transaction (else its connection) started. */
  seconds: number
}

export interface Subscription {
  id: number
  name: string
  enabled: boolean
  slotName: string | null
  publications: string[]
  workerPid: number | null
  lastMsgSendTime: Date | null
  lastMsgReceiptTime: Date | null
  latestEndTime: Date | null
  /** The replication origin's remote_lsn: the last PRIMARY commit applied here. */
  appliedLsn: string | null
  /** How long its apply (or parallel apply) worker has held the transaction it applies open; null when none is open. */
  applyingMs: number | null
  /** The sessions holding a lock its apply worker waits for; null when none. */
  applyingBlockedBy: BlockingSession[] | null
  applyErrorCount: number
  syncErrorCount: number
  /** pg_subscription.subowner, by name. */
  owner: string
  statsReset: Date | null
  /** table name → pg_subscription_rel.srsubstate */
  tableStates: Record<string, string>
  /** The options that differ by version: streaming off/on/parallel, binary, origin (16+), failover (17+). */
  options: SubscriptionOptions
  /** 18+: conflicts counted by type (pg_stat_subscription_stats.confl_*); null before 18. */
  conflicts: Record<ConflictType, number> | null
}

/** PostgreSQL 18's conflict types (src/include/replication/conflict.h), as pg_stat_subscription_stats counts them. */
export const CONFLICT_TYPES = [
  'insert_exists',
  'update_exists',
  'update_missing',
  'update_origin_differs',
  'delete_missing',
  'delete_origin_differs',
  'multiple_unique_conflicts',
] as const
export type ConflictType = (typeof CONFLICT_TYPES)[number]

export interface NodeFacts {
  name: string
  role: Role
  label: string
  up: boolean
  error: string | null
  /** Why the node could not be used, when it could not. */
  errorKind: FailureKind | null
  /** A server replkit runs that is down because its last start failed: the FATAL line of its log. */
  startFailure: string | null
  server: ServerFacts | null
  tables: TableSum[]
  /** Columns of the replicated tables, to compare with the PRIMARY's. */
  columns: Column[]
  /** Sequences owned by the replicated tables (not replicated: a replica's stay behind). */
  sequences: SequenceValue[]
}

/** Whether the replication role's next connection would be let in (sql/check/replication_admission.sql). */
export interface ReplicationAdmission {
  user: string
  database: string
  canLogin: boolean
  replication: boolean
  validUntil: Date | null
  /** pg_hba.conf as the file reads now; null where this role may not read it. */
  rules: HbaRule[] | null
  /** replica name → the address it connects from (its host, as configured). */
  from: Record<string, string>
}

/** A transaction holding an id on the PRIMARY (sql/check/old_transactions.sql), oldest first. */
export interface OpenTransaction {
  pid: number
  user: string
  applicationName: string
  state: string
  ageSeconds: number
  query: string
}

export interface PrimaryFacts extends NodeFacts {
  unpublished: UnpublishedTable[]
  publications: Publication[]
  publishedTables: PublishedTable[]
  slots: Slot[]
  walSenders: WalSender[]
  /** null when the replication role does not exist (replication is not set up). */
  admission: ReplicationAdmission | null
  oldTransactions: OpenTransaction[]
  /** The filesystem of its WAL, where replkit can read it (a server it runs); null otherwise. */
  walDisk: WalDisk | null
}

export interface WorkerLog {
  /** The last failure of replkit's subscription tied to a remote transaction (key, LSN). */
  applyFailure: (ApplyFailure & { cause: ApplyCause }) | null
  /** The last worker error not tied to a transaction (cannot connect, connection lost). */
  workerError: WorkerError | null
  /** 18+: conflicts the log names, by type and table (pg_stat_subscription_stats counts them without the table). */
  conflicts: LoggedConflict[]
  /** Where the log was read, or why it could not be. */
  source: string
}

export interface ReplicaFacts extends NodeFacts {
  subscriptions: Subscription[]
  log: WorkerLog | null
}

export interface ClusterFacts {
  publication: string
  tables: string[]
  /** Tables a schema.* of PUBLICATION_TABLES leaves out on purpose (-schema.table): not a finding. */
  excludedTables: string[]
  /** Tables the publication sends in part (columns, row filter), as the PRIMARY's catalogue says. */
  publishedParts: Record<string, PublishedPart>
  /** SUBSCRIPTION_OWNER: the role every replica's subscription should be owned by (16+). */
  subscriptionOwner?: string
  primary: PrimaryFacts
  replicas: ReplicaFacts[]
  /** Tables that differed when first read, compared again at an LSN each replica reached (checks/settle.ts). */
  compared?: Record<string, TableCompare>
  /** table → why that second comparison could not run. */
  compareErrors?: Record<string, string>
  /** --diff: replica → why its rows were not compared (not read, or the comparison failed). */
  diffNotCompared?: Record<string, string>
}
