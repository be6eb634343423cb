// The machine a bench ran on, recorded with its figures: on shared 2-core boxes the load average
// at the start explains more outliers than anything in the code.
import { cpus, freemem, loadavg, release, totalmem } from 'node:os'
import type { Sql } from '../db.js'

export interface Machine {
  cpus: number
  cpuModel: string
  memoryGiB: number
  freeMemoryGiB: number
  loadAverage: { '1m': number; '5m': number; '15m': number }
  kernel: string
  node: string
  postgres: string
}

const GiB = 1024 ** 3
const round = (n: number, digits = 1) => Number(n.toFixed(digits))

export async function machineFacts(primary: Sql): Promise<Machine> {
  const [{ version }] = await primary`select current_setting('server_version') as version`
  const [one, five, fifteen] = loadavg()
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(totalmem() / GiB),
    freeMemoryGiB: round(freemem() / GiB),
    loadAverage: { '1m': round(one, 2), '5m': round(five, 2), '15m': round(fifteen, 2) },
    kernel: release(),
    node: process.version,
    postgres: version as string,
  }
}

export const describeMachine = (m: Machine) =>
  `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, load average ${m.loadAverage['1m']} / ${m.loadAverage['5m']} / ${m.loadAverage['15m']} at start, ` +
  `PostgreSQL ${m.postgres}, Node ${m.node}, Linux ${m.kernel}`
