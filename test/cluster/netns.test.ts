// The partition drill skips with a reason, never silently, where network namespaces are not
// available. Both reasons are reached for real in a user namespace: unmapped (not root), and
// mapped to root but without the host's capabilities (as in an unprivileged container).
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { $ } from 'zx'
import { repoRoot } from '../../scripts/lib/config.js'

const probe = `import(${JSON.stringify(join(repoRoot, 'scripts/lib/cluster/netns.ts'))}).then(async m => console.log(JSON.stringify(await m.createVethNetwork('unit'))))`

async function inUserNamespace(flags: string[]): Promise<{ unavailable?: string } | undefined> {
  if ((await $({ quiet: true, nothrow: true })`unshare --user ${flags} true`).exitCode !== 0) {
    console.log(`    unshare --user ${flags.join(' ')} is not allowed here: case not run`)
    return undefined
  }
  const run = await $({
    quiet: true,
    nothrow: true,
  })`unshare --user ${flags} ${join(repoRoot, 'node_modules/.bin/tsx')} -e ${probe}`
  assert.is(run.exitCode, 0, run.stderr)
  return JSON.parse(run.stdout)
}

test('not root: unavailable, and says so', async () => {
  const result = await inUserNamespace([])
  if (result) assert.match(result.unavailable ?? '', /^not root: network namespaces need root/)
})

test('root without the capability: ip netns add refused, with its reason', async () => {
  const result = await inUserNamespace(['--map-root-user'])
  if (result) assert.match(result.unavailable ?? '', /^ip netns add refused: .+/)
})

test.run()
