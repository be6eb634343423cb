// A network namespace joined to the host by one veth pair: the partition drill's private wire.
// Only the two addresses made here (10.200.0.1 on the host end, 10.200.0.2 inside) carry any
// traffic, and cutting the host end takes the carrier down on both ends — a partition that
// touches no other interface. Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN).
import { $ } from 'zx'
import { ReplkitError } from '../errors.js'

const SUBNET = '10.200.0.0/24'

export interface VethNetwork {
  namespace: string
  /** The host end's address (root namespace). */
  hostAddress: string
  /** The namespace end's address. */
  nsAddress: string
  cut(): Promise<void>
  heal(): Promise<void>
  /** Deletes the veth pair and the namespace; safe to call twice. */
  remove(): Promise<void>
  /** True while the namespace or the host end still exists. */
  exists(): Promise<boolean>
}

export type NetworkOrReason = { net: VethNetwork } | { unavailable: string }

const ip = async (args: string[]) => {
  const result = await $({ quiet: true, nothrow: true })`ip ${args}`
  if (result.exitCode !== 0) throw new ReplkitError(`ip ${args.join(' ')}: ${result.stderr.trim()}`)
  return result.stdout
}

/**
 * Creates namespace replkit-part-<tag> with a veth pair to the host, or says why this machine
 * cannot: not root, or `ip netns add` refused (a container without the capability). Any other
 * failure is an error, and whatever was made is removed again.
 */
export async function createVethNetwork(tag: string | number = process.pid): Promise<NetworkOrReason> {
  if (process.getuid?.() !== 0) return { unavailable: 'not root: network namespaces need root (CAP_SYS_ADMIN)' }
  // An address of this subnet elsewhere would make the routes ambiguous: refuse, never share it.
  const taken = (await ip(['-o', '-4', 'addr', 'show', 'to', SUBNET])).trim()
  if (taken)
    throw new ReplkitError(
      `${SUBNET} is already in use (a drill left over, or someone else's): ${taken.split(/\s+/).slice(1, 4).join(' ')}; remove it with "ip link del <interface>"`,
    )
  const namespace = `replkit-part-${tag}`
  const hostEnd = `rkp${tag}h` // interface names are at most 15 characters
  const nsEnd = `rkp${tag}n`
  const added = await $({ quiet: true, nothrow: true })`ip netns add ${namespace}`
  if (added.exitCode !== 0)
    return { unavailable: `ip netns add refused: ${added.stderr.trim() || `exit ${added.exitCode}`}` }
  const net: VethNetwork = {
    namespace,
    hostAddress: '10.200.0.1',
    nsAddress: '10.200.0.2',
    cut: async () => {
      await ip(['link', 'set', hostEnd, 'down'])
    },
    heal: async () => {
      await ip(['link', 'set', hostEnd, 'up'])
    },
    async remove() {
      // Deleting one end deletes its peer. A server still running inside would keep the
      // namespace alive after its name is gone: stop it first.
      await $({ quiet: true, nothrow: true })`ip link del ${hostEnd}`
      await $({ quiet: true, nothrow: true })`ip netns del ${namespace}`
    },
    async exists() {
      const link = await $({ quiet: true, nothrow: true })`ip link show ${hostEnd}`
      const names = await ip(['netns', 'list'])
      return link.exitCode === 0 || names.split('\n').some(l => l.split(' ')[0] === namespace)
    },
  }
  try {
    await ip(['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd, 'netns', namespace])
    await ip(['addr', 'add', `${net.hostAddress}/24`, 'dev', hostEnd])
    await ip(['link', 'set', hostEnd, 'up'])
    await ip(['-n', namespace, 'addr', 'add', `${net.nsAddress}/24`, 'dev', nsEnd])
    await ip(['-n', namespace, 'link', 'set', nsEnd, 'up'])
    await ip(['-n', namespace, 'link', 'set', 'lo', 'up'])
  } catch (error) {
    await net.remove()
    throw error
  }
  return { net }
}
