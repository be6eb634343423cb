// The fault drills of make chaos, in the order they run. Each is bounded in time, prints its
// figures and leaves the cluster replicated and healthy (harness.ts); a new drill is a file here.
import { conflict } from './conflict.js'
import type { Drill } from './harness.js'
import { partition } from './partition.js'
import { primaryRestart } from './primary-restart.js'
import { replicaDown } from './replica-down.js'
import { resyncUnderLoad } from './resync-under-load.js'

export const DRILLS: Drill[] = [replicaDown, resyncUnderLoad, primaryRestart, conflict, partition]
