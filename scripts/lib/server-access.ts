// What replkit may do to a node's server besides SQL. A server is the operator's (owns() false): a
// restart or a pg_hba.conf edit is printed for them to do, and its log is read through SQL where
// allowed. Only servers replkit runs itself (the local development cluster, cluster/access.ts) it
// restarts, edits and reads directly; the commands are handed that access, the library never looks
// for it.
import type { NodeSpec } from './config.js'

export interface ServerAccess {
  /** True when replkit runs this node's server: the other methods may be used for it. */
  owns(spec: NodeSpec): boolean
  restart(spec: NodeSpec): Promise<void>
  /** Puts lines into pg_hba.conf's replkit block and reloads; true when the file changed. */
  writeHba(spec: NodeSpec, lines: string[], dryRun: boolean): Promise<boolean>
  logFile(spec: NodeSpec): string
  /** The FATAL (or PANIC) line, with its HINT, that ended the server's last start; null when it started. */
  startFailure(spec: NodeSpec): Promise<string | null>
  /** The filesystem that holds the node's WAL (pg_wal): free and total bytes. */
  walDisk(spec: NodeSpec): Promise<WalDisk>
}

export interface WalDisk {
  freeBytes: number
  totalBytes: number
}
