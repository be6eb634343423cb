import type { HbaRule } from '../../scripts/lib/replication/hba-rules.js'
// Hand-made facts of a healthy three-node cluster on PostgreSQL 15, for the pure judgement and
// formatting code (verdicts, metrics); each test breaks the part it is about.
import type {
  ClusterFacts,
  PrimaryFacts,
  ReplicaFacts,
  Subscription,
  TableSum,
} from '../../scripts/lib/checks/facts.js'

export const TABLES = ['categories', 'products', 'inventory']
export const thresholds = {
  maxLagBytes: 16 * 1024 * 1024,
  criticalLagBytes: 1024 * 1024 * 1024,
  maxRetainedBytes: 1024 * 1024 * 1024,
}
export const settings = (walLevel = 'logical', pendingRestart = false) => ({
  wal_level: { setting: walLevel, pendingRestart },
  max_wal_senders: { setting: '10', pendingRestart: false },
  max_replication_slots: { setting: '10', pendingRestart: false },
})
export const sums = (counts: number[], checksum = (i: number) => `c${i}`): TableSum[] =>
  TABLES.map((table, i) => ({ table, exists: true, rows: counts[i], checksum: counts[i] === 0 ? '0' : checksum(i) }))

export function subscription(name: string, patch: Partial<Subscription> = {}): Subscription {
  return {
    id: 16400,
    name,
    enabled: true,
    slotName: name,
    publications: ['ecommerce_pub'],
    workerPid: 4242,
    lastMsgSendTime: null,
    lastMsgReceiptTime: null,
    latestEndTime: null,
    appliedLsn: null,
    applyingMs: null,
    applyingBlockedBy: null,
    applyErrorCount: 0,
    syncErrorCount: 0,
    owner: 'postgres',
    statsReset: null,
    tableStates: Object.fromEntries(TABLES.map(t => [t, 'r'])),
    options: { streaming: 'on', binary: false, origin: null, failover: null },
    conflicts: null,
    ...patch,
  }
}

export function replica(name: string, patch: Partial<ReplicaFacts> = {}): ReplicaFacts {
  return {
    name,
    role: 'replica',
    label: `postgres@127.0.0.1/${name}`,
    up: true,
    error: null,
    errorKind: null,
    startFailure: null,
    columns: [],
    sequences: [],
    log: null,
    server: {
      version: '15.18',
      versionNum: 150018,
      inRecovery: false,
      currentLsn: '0/3000000',
      walLevelInFile: null,
      readOnlyForClients: true,
      settings: settings('replica'),
      walSendersUsed: 0,
      slotsUsed: 0,
      hasFingerprint: true,
      role: 'postgres',
      unreadable: [],
      tls: 'TLSv1.3',
    },
    tables: sums([5, 30, 30]),
    subscriptions: [subscription(`sub_${name}`)],
    ...patch,
  }
}

/** The local cluster's pg_hba.conf, as pg_hba_file_rules shows it after make replicate. */
export const LOCAL_HBA: HbaRule[] = [
  {
    line: 6,
    type: 'local',
    database: ['all'],
    users: ['all'],
    address: null,
    netmask: null,
    method: 'scram-sha-256',
    error: null,
  },
  {
    line: 8,
    type: 'hostssl',
    database: ['shop'],
    users: ['replicator'],
    address: '127.0.0.1',
    netmask: '255.255.255.255',
    method: 'scram-sha-256',
    error: null,
  },
  {
    line: 9,
    type: 'host',
    database: ['all'],
    users: ['replicator'],
    address: 'all',
    netmask: null,
    method: 'reject',
    error: null,
  },
  {
    line: 11,
    type: 'host',
    database: ['all'],
    users: ['all'],
    address: '127.0.0.1',
    netmask: '255.255.255.255',
    method: 'scram-sha-256',
    error: null,
  },
]

export function healthy(): ClusterFacts {
  const primary: PrimaryFacts = {
    name: 'primary',
    role: 'primary',
    label: 'postgres@127.0.0.1/shop',
    up: true,
    error: null,
    errorKind: null,
    startFailure: null,
    columns: [],
    sequences: [],
    unpublished: [],
    server: {
      version: '15.18',
      versionNum: 150018,
      inRecovery: false,
      currentLsn: '0/3000000',
      walLevelInFile: null,
      readOnlyForClients: false,
      settings: settings(),
      walSendersUsed: 2,
      slotsUsed: 2,
      hasFingerprint: true,
      role: 'postgres',
      unreadable: [],
      tls: 'TLSv1.3',
    },
    tables: sums([5, 30, 30]),
    publications: [{ name: 'ecommerce_pub', allTables: false }],
    publishedTables: TABLES.map(table => ({
      schema: 'public',
      table,
      exists: true,
      publications: ['ecommerce_pub'],
      hasPrimaryKey: true,
      replicaIdentity: 'default' as const,
    })),
    slots: ['sub_replica1', 'sub_replica2'].map(name => ({
      name,
      type: 'logical',
      plugin: 'pgoutput',
      active: true,
      walStatus: 'reserved',
      retainedBytes: 56,
      unconfirmedBytes: 0,
      safeWalSize: null,
      invalidationReason: null,
      inactiveSince: null,
      failover: null,
    })),
    walSenders: ['sub_replica1', 'sub_replica2'].map(applicationName => ({
      applicationName,
      state: 'streaming',
      lagBytes: 0,
      replayLagMs: null,
    })),
    admission: {
      user: 'replicator',
      database: 'shop',
      canLogin: true,
      replication: true,
      validUntil: null,
      rules: LOCAL_HBA.map(r => ({ ...r })),
      from: { replica1: '127.0.0.1', replica2: '127.0.0.1' },
    },
    oldTransactions: [],
    walDisk: null,
  }
  return {
    publication: 'ecommerce_pub',
    tables: TABLES,
    excludedTables: [],
    publishedParts: {},
    primary,
    replicas: [replica('replica1'), replica('replica2')],
  }
}

/** The replica as make check finds a stopped server: not up, nothing read from it. */
export function stopped(facts: ClusterFacts, i: number): ClusterFacts {
  Object.assign(facts.replicas[i], {
    up: false,
    server: null,
    error: 'connection refused',
    errorKind: 'unreachable',
    startFailure: null,
    subscriptions: [],
    tables: [],
  })
  return facts
}
